/**
 * The reaction payload's derived fields (weave-semantics.md §3.2 step 6): Weave counts emoji with
 * Python's `emoji.emoji_count`, names them with `emoji.demojize` (`👍` → `:thumbs_up:`) and strips
 * skin tones by demojizing, deleting `_<tone>_skin_tone` from the name and emojizing it back.
 *
 * weft finds emoji with `emoji-regex` (RGI sequences) and derives Python's names from the CLDR names in
 * `unicode-emoji-json`: the `flag ` prefix of country flags dropped, `,` `:` `“` `”` removed, spaces
 * made `_`, case kept (`:Statue_of_Liberty:`, `:United_States:`, `:Mrs._Claus:`). That data has no
 * toned variants, so a toned emoji is named `<base name>_<tone>_skin_tone[_<tone>_skin_tone]` as CLDR
 * names them. The ~390 kB table is imported on the first reaction only.
 */
import emojiRegex from "emoji-regex";

/** Python's names for the five Fitzpatrick modifiers, U+1F3FB–U+1F3FF (CLDR "medium-light skin tone" …). */
const TONE_NAMES = new Map([
  ["\u{1F3FB}", "light_skin_tone"],
  ["\u{1F3FC}", "medium-light_skin_tone"],
  ["\u{1F3FD}", "medium_skin_tone"],
  ["\u{1F3FE}", "medium-dark_skin_tone"],
  ["\u{1F3FF}", "dark_skin_tone"],
]);
/** Emoji components that are emoji on their own in Python's table (`:red_hair:` …). */
const COMPONENT_NAMES: Array<[string, string]> = [
  ...TONE_NAMES,
  ["\u{1F9B0}", "red_hair"],
  ["\u{1F9B1}", "curly_hair"],
  ["\u{1F9B3}", "white_hair"],
  ["\u{1F9B2}", "bald"],
];
const TONE_RE = /[\u{1F3FB}-\u{1F3FF}]/gu;
/** Weave's `detone_shortcode` pattern (emoji_util.py). */
const TONE_SUFFIX_RE = /_(light|medium-light|medium|medium-dark|dark)_skin_tone/g;
const VARIATION_SELECTOR_RE = /\uFE0F/g;

interface EmojiEntry {
  name: string;
  group: string;
  skin_tone_support: boolean;
}

interface EmojiTables {
  /** Keyed by the emoji without U+FE0F, so text- and emoji-presentation forms find the same entry. */
  byBare: Map<string, { name: string; canonical: string; toned: boolean }>;
  /** Python name → fully-qualified emoji (what `emoji.emojize` gives back). */
  byName: Map<string, string>;
}

let tables: Promise<EmojiTables> | undefined;

/** The CLDR name as Python's `emoji` package spells it (see the module comment). */
function pythonName(entry: EmojiEntry): string {
  const name = entry.group === "Flags" && entry.name.startsWith("flag ") ? entry.name.slice(5) : entry.name;
  return name.replace(/[,:“”"]/g, "").replace(/ /g, "_");
}

function loadTables(): Promise<EmojiTables> {
  tables ??= import("unicode-emoji-json/data-by-emoji.json").then((mod) => {
    const data = (mod as { default: Record<string, EmojiEntry> }).default;
    const byBare: EmojiTables["byBare"] = new Map();
    const byName: EmojiTables["byName"] = new Map();
    const add = (emoji: string, name: string, toned: boolean): void => {
      byBare.set(emoji.replace(VARIATION_SELECTOR_RE, ""), { name, canonical: emoji, toned });
      if (!byName.has(name)) byName.set(name, emoji);
    };
    for (const [emoji, entry] of Object.entries(data)) add(emoji, pythonName(entry), entry.skin_tone_support);
    for (const [emoji, name] of COMPONENT_NAMES) add(emoji, name, false);
    return { byBare, byName };
  });
  return tables;
}

/** Python's name for one emoji (without colons), or undefined when Python would not know it. */
function nameOf(t: EmojiTables, emoji: string): string | undefined {
  const bare = emoji.replace(VARIATION_SELECTOR_RE, "");
  const direct = t.byBare.get(bare);
  if (direct) return direct.name;
  const tones = bare.match(TONE_RE);
  if (!tones) return undefined;
  const base = t.byBare.get(bare.replace(TONE_RE, ""));
  if (!base?.toned) return undefined;
  // CLDR names a sequence whose people share one tone with that tone once ("…: light skin tone").
  const distinct = tones.every((tone) => tone === tones[0]) ? [tones[0] as string] : tones;
  return [base.name, ...distinct.map((tone) => TONE_NAMES.get(tone) as string)].join("_");
}

/** The derived fields Weave adds to a `wandb.reaction.1` payload (§3.2 step 6). */
export interface ReactionFields {
  alias: string;
  detoned: string;
  detoned_alias: string;
}

/**
 * Checks that `text` holds exactly one emoji (Weave's `emoji_count(text) != 1` test: other text
 * around it is tolerated, as in Weave) and computes `alias`, `detoned` and `detoned_alias`.
 * @returns undefined when the text does not hold exactly one emoji.
 * @throws Error only when the bundled emoji table cannot be imported (a packaging defect; INTERNAL).
 */
export async function reactionFields(text: string): Promise<ReactionFields | undefined> {
  const found = text.match(emojiRegex());
  if (found?.length !== 1) return undefined;
  const t = await loadTables();
  const demojize = (s: string): string => s.replace(emojiRegex(), (m) => {
    const name = nameOf(t, m);
    return name === undefined ? m : `:${name}:`;
  });
  // Weave detones through the name: demojize, drop tone suffixes, emojize. An unknown name stays as
  // `:name:` text, as `emoji.emojize` leaves it.
  const detoned = text.replace(emojiRegex(), (m) => {
    const name = nameOf(t, m);
    if (name === undefined) return m;
    const plain = name.replace(TONE_SUFFIX_RE, "");
    return t.byName.get(plain) ?? `:${plain}:`;
  });
  return { alias: demojize(text), detoned, detoned_alias: demojize(detoned) };
}
