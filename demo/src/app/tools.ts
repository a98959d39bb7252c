/**
 * The assistant's tools: an order-status lookup over the bundled orders and a calculator (a small
 * arithmetic parser: no `eval`, which the page's CSP forbids anyway), plus the rule that picks a
 * tool for a question. Pure functions; `assistant.ts` traces them as ops.
 */
import { ORDERS, type OrderRecord } from "./docs";

/** Looks an order up. @throws Error when no order has that number (the trace shows the failed tool call). */
export function lookupOrderStatus(orderId: string): OrderRecord {
  const order = ORDERS.find((o) => o.id === orderId.toUpperCase());
  if (!order) throw new Error(`Order ${orderId} not found. Order numbers look like KS-12345 and are in the confirmation email.`);
  return order;
}

/**
 * Evaluates `+ - * / % ( )` arithmetic on decimal numbers (`%` as a postfix percent: `15%` = 0.15).
 * @throws Error on anything else, naming the offending position
 */
export function calculate(expression: string): number {
  const tokens = expression.match(/\d+(?:\.\d+)?|[-+*/()%]|\S/g) ?? [];
  let i = 0;
  const peek = (): string | undefined => tokens[i];
  const fail = (why: string): never => {
    throw new Error(`Cannot calculate "${expression}": ${why} at token ${i + 1}`);
  };
  const primary = (): number => {
    const t = tokens[i++];
    if (t === undefined) return fail("unexpected end");
    if (t === "(") {
      const v = sum();
      if (tokens[i++] !== ")") fail("missing )");
      return postfix(v);
    }
    if (t === "-") return -primary();
    if (/^\d/.test(t)) return postfix(Number(t));
    return fail(`unexpected "${t}"`);
  };
  const postfix = (v: number): number => {
    if (peek() === "%") {
      i++;
      return v / 100;
    }
    return v;
  };
  const product = (): number => {
    let v = primary();
    while (peek() === "*" || peek() === "/") v = tokens[i++] === "*" ? v * primary() : v / primary();
    return v;
  };
  const sum = (): number => {
    let v = product();
    while (peek() === "+" || peek() === "-") v = tokens[i++] === "+" ? v + product() : v - product();
    return v;
  };
  const value = sum();
  if (i < tokens.length) fail(`unexpected "${tokens[i] ?? ""}"`);
  return Math.round(value * 100) / 100;
}

export type ToolChoice = { tool: "lookup_order_status"; args: { order_id: string } } | { tool: "calculator"; args: { expression: string } } | null;

const PLAN_YEARLY: Record<string, number> = { team: 96, business: 180 };
const PLAN_MONTHLY: Record<string, number> = { team: 10, business: 15 };

/** Which tool, if any, a question needs: an order number → lookup; prices or arithmetic → calculator. */
export function chooseTool(question: string): ToolChoice {
  const order = /\bKS-\d{3,}\b/i.exec(question);
  if (order) return { tool: "lookup_order_status", args: { order_id: order[0].toUpperCase() } };
  const q = question.toLowerCase();
  const plan = /\b(team|business)\b/.exec(q)?.[1];
  const seats = /(\d+)\s*(?:members|member|seats|people|users)/.exec(q)?.[1];
  if (plan && seats) {
    const perYear = /year|annual/.test(q) || !/month/.test(q);
    let expression = perYear ? `${seats} * ${PLAN_YEARLY[plan] ?? 0}` : `${seats} * ${PLAN_MONTHLY[plan] ?? 0}`;
    if (/nonprofit|school|discount/.test(q)) expression = `(${expression}) * 0.8`;
    return { tool: "calculator", args: { expression } };
  }
  const percent = /(\d+(?:\.\d+)?)\s*%\s*of\s*(\d+(?:\.\d+)?)/.exec(q);
  if (percent) return { tool: "calculator", args: { expression: `${percent[1]}% * ${percent[2]}` } };
  const arithmetic = /\d+(?:\.\d+)?(?:\s*[-+*/]\s*\(?\s*\d+(?:\.\d+)?\s*\)?)+/.exec(q);
  if (arithmetic) return { tool: "calculator", args: { expression: arithmetic[0] } };
  return null;
}
