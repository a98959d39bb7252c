/** How errors are told to the user: a `WeftError`'s code and message (which names the field and the fix). */
import { WeftError } from "../../src/index";

export function errorText(error: unknown): string {
  if (error instanceof WeftError) return `${error.code}: ${error.message}`;
  if (error instanceof Error) return error.message;
  return String(error);
}
