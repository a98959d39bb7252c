/**
 * What Weave does to an object value before hashing and storing it (weave-semantics.md §4.2, §4.3):
 * `process_incoming_object_val` (class hierarchy → base/leaf class; builtin classes re-dumped) and
 * `get_kind` (op or object).
 */
import { WeftError } from "../../errors";
import { dumpBuiltinObject } from "./builtin-classes";

/** A processed value and the classes Weave derives from it. */
export interface ProcessedObjectVal {
  val: unknown;
  baseObjectClass: string | null;
  leafObjectClass: string | null;
}

/** The two standard roots of Weave's object classes (`base_object_class_names`). */
const BASE_OBJECT_CLASS_NAMES = ["BaseObject", "Object"];

function isDict(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function invalid(message: string): WeftError {
  return new WeftError("VALIDATION", message, { issues: [{ path: "obj.val", message }] });
}

/**
 * Weave's `get_object_classes`: a dict whose `_bases` list has ≥ 2 entries ending in
 * `["BaseObject" | "Object", "BaseModel"]` is a Weave object; its leaf class is `_class_name` and its
 * base class is `_bases[-3]` (or the leaf class itself when it derives directly from the root).
 * @throws WeftError VALIDATION when such a value has no string `_class_name` or a non-string base
 *   (Weave fails on these with a KeyError / a column type error).
 */
export function objectClasses(val: unknown): { leaf: string; base: string } | undefined {
  if (!isDict(val) || !Array.isArray(val._bases)) return undefined;
  const bases: unknown[] = val._bases;
  if (bases.length < 2 || bases[bases.length - 1] !== "BaseModel") return undefined;
  if (!BASE_OBJECT_CLASS_NAMES.includes(bases[bases.length - 2] as string)) return undefined;
  const leaf = val._class_name;
  if (typeof leaf !== "string") throw invalid("obj.val has a Weave class hierarchy (_bases) but no string _class_name");
  const base = bases.length > 2 ? bases[bases.length - 3] : leaf;
  if (typeof base !== "string") throw invalid("obj.val._bases must hold class names (strings)");
  return { leaf, base };
}

/**
 * Weave's `process_incoming_object_val(val, builtin_object_class)` (§4.2).
 * @throws WeftError VALIDATION: a builtin class for a non-dict value; a builtin class that differs
 *   from the value's own `_class_name`; "Unknown object class"; or a value the builtin class rejects.
 */
export function processIncomingObjectVal(val: unknown, builtinObjectClass: string | null | undefined): ProcessedObjectVal {
  if (!isDict(val)) {
    if (builtinObjectClass != null) throw invalid("object_class cannot be provided for non-dict objects");
    return { val, baseObjectClass: null, leafObjectClass: null };
  }
  const own = objectClasses(val);
  if (own) {
    // A value that already carries its hierarchy is stored as given (e.g. an edited object, or the
    // SDK's own dump); Weave only checks that a requested class agrees with it.
    if (builtinObjectClass && own.leaf !== builtinObjectClass) {
      throw invalid(`object_class must match val's defined object class: ${own.leaf} != ${builtinObjectClass}`);
    }
    return { val, baseObjectClass: own.base, leafObjectClass: own.leaf };
  }
  if (builtinObjectClass != null) {
    const dumped = dumpBuiltinObject(builtinObjectClass, val);
    if (!dumped) throw invalid(`Unknown object class: ${builtinObjectClass}`);
    const classes = objectClasses(dumped);
    return { val: dumped, baseObjectClass: classes?.base ?? null, leafObjectClass: classes?.leaf ?? null };
  }
  return { val, baseObjectClass: null, leafObjectClass: null };
}

/**
 * Weave's `get_kind` (§4.3): `op` when the value's type is `Op`, where the type of a dict with `_type`
 * is `weave_type.type` if `weave_type` is present, else `_type` itself. (Weave fails with a TypeError
 * when `weave_type` is not a dict; weft calls such a value an object.)
 */
export function objectKind(val: unknown): "object" | "op" {
  if (!isDict(val) || !("_type" in val)) return "object";
  if ("weave_type" in val) {
    const weaveType = val.weave_type;
    return isDict(weaveType) && weaveType.type === "Op" ? "op" : "object";
  }
  return val._type === "Op" ? "op" : "object";
}
