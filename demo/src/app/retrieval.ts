/**
 * Keyword retrieval over the bundled docs: Okapi BM25 on sentences (k1 = 1.2, b = 0.75), so the
 * model stand-in gets short passages to quote. Pure functions; `assistant.ts` traces them as an op.
 */
import { DOCS, type Doc } from "./docs";

export interface Passage {
  doc_id: string;
  title: string;
  text: string;
  score: number;
}

const STOP = new Set(
  "a an and are as at be by can do does for from how i if in is it its my of on or the to what when where which who why will with you your me we our this that there".split(" "),
);

/** Lower-case word tokens without stop words; keeps numbers and ids like ks-10231. */
export function tokenize(text: string): string[] {
  return (text.toLowerCase().match(/[a-z0-9]+(?:-[a-z0-9]+)*/g) ?? []).filter((t) => !STOP.has(t) && t.length > 1);
}

interface Indexed {
  doc: Doc;
  text: string;
  tokens: string[];
}

function splitSentences(doc: Doc): Indexed[] {
  return (doc.text.match(/[^.!?]+[.!?]+/g) ?? [doc.text]).map((s) => ({ doc, text: s.trim(), tokens: tokenize(`${doc.title} ${s}`) }));
}

const INDEX: Indexed[] = DOCS.flatMap(splitSentences);
const AVG_LEN = INDEX.reduce((sum, p) => sum + p.tokens.length, 0) / INDEX.length;
const DF = new Map<string, number>();
for (const p of INDEX) for (const t of new Set(p.tokens)) DF.set(t, (DF.get(t) ?? 0) + 1);

function idf(term: string): number {
  const df = DF.get(term) ?? 0;
  return Math.log(1 + (INDEX.length - df + 0.5) / (df + 0.5));
}

/** The `k` best passages for `query` by BM25, best first; passages scoring 0 are dropped. */
export function searchPassages(query: string, k = 4): Passage[] {
  const terms = [...new Set(tokenize(query))];
  const k1 = 1.2;
  const b = 0.75;
  const scored = INDEX.map((p) => {
    let score = 0;
    for (const term of terms) {
      const tf = p.tokens.filter((t) => t === term).length;
      if (tf === 0) continue;
      score += idf(term) * ((tf * (k1 + 1)) / (tf + k1 * (1 - b + (b * p.tokens.length) / AVG_LEN)));
    }
    return { doc_id: p.doc.id, title: p.doc.title, text: p.text, score: Math.round(score * 1000) / 1000 };
  });
  return scored
    .filter((p) => p.score > 0)
    .sort((x, y) => y.score - x.score)
    .slice(0, k);
}
