/**
 * The builtin object classes `obj_create(builtin_object_class=…)` accepts (weave-semantics.md §4.2):
 * Weave validates the value with the class's pydantic model and re-dumps it as
 * `{"_type": Cls, ...fields, "_class_name": Cls, "_bases": [..., "BaseModel"]}`, nested pydantic models
 * dumped the same way with `_bases ["BaseModel"]` (`object_class_util.dump_object`, HEAD).
 *
 * What weft validates, per class (honestly, not pydantic in full):
 * - `TestOnlyNestedBaseObject`, `TestOnlyInheritedBaseObject`, `TestOnlyExample` (and the nested
 *   `TestOnlyNestedBaseModel`): every field, with pydantic's lax coercions for `int` (bool, integral
 *   float, numeric string such as " 1_0 " or "1.0") and `str`; unknown keys dropped; defaults filled;
 *   aliases honoured (`aliased_property_alias`). Enough for D-08, OB-16, OB-19, OB-20 and OB-22.
 * - every other registry class: only `name`/`description` (string or null, default null) are checked
 *   and defaulted; all other keys are kept as given (Weave would drop unknown keys and fill its own
 *   defaults), so digests match Weave's only when the caller sends the model's complete, valid dump.
 */
import { WeftError, type ValidationIssue } from "../../errors";

type FieldType = "int" | "str" | "optional-str" | { model: ModelSpec };

interface FieldSpec {
  /** Python attribute name. */
  name: string;
  /** Pydantic alias: the key read from input and written in the dump. */
  alias?: string;
  type: FieldType;
  /** Present when the field is optional; the value used when the key is absent. */
  default?: unknown;
}

interface ModelSpec {
  name: string;
  /** `[c.__name__ for c in cls.mro()[1:-1]]`. */
  bases: string[];
  fields: FieldSpec[];
  /** Keep keys the spec does not list (registry classes whose schema weft does not carry). */
  passThrough?: boolean;
}

const BASE_OBJECT_BASES = ["BaseObject", "BaseModel"];
/** `BaseObject`'s own fields: `name: str | None = None`, `description: str | None = None`. */
const BASE_OBJECT_FIELDS: FieldSpec[] = [
  { name: "name", type: "optional-str", default: null },
  { name: "description", type: "optional-str", default: null },
];

const nestedBaseModel: ModelSpec = {
  name: "TestOnlyNestedBaseModel",
  bases: ["BaseModel"],
  fields: [
    { name: "a", type: "int" },
    { name: "aliased_property", alias: "aliased_property_alias", type: "int" },
  ],
};

const nestedBaseObject: ModelSpec = {
  name: "TestOnlyNestedBaseObject",
  bases: BASE_OBJECT_BASES,
  fields: [...BASE_OBJECT_FIELDS, { name: "b", type: "int" }],
};

const TEST_ONLY: ModelSpec[] = [
  nestedBaseObject,
  {
    name: "TestOnlyInheritedBaseObject",
    bases: ["TestOnlyNestedBaseObject", ...BASE_OBJECT_BASES],
    fields: [...nestedBaseObject.fields, { name: "c", type: "int" }, { name: "additional_field", type: "str", default: "default_value" }],
  },
  {
    name: "TestOnlyExample",
    bases: BASE_OBJECT_BASES,
    fields: [
      ...BASE_OBJECT_FIELDS,
      { name: "primitive", type: "int" },
      { name: "nested_base_model", type: { model: nestedBaseModel } },
      // `RefStr` is a plain `str` in Weave.
      { name: "nested_base_object", type: "str" },
    ],
  },
];

const passThrough = (name: string, bases = BASE_OBJECT_BASES): ModelSpec => ({ name, bases, fields: BASE_OBJECT_FIELDS, passThrough: true });

/** Weave's `BUILTIN_OBJECT_REGISTRY` (HEAD, plus `AgentDashboard` and the older `ActionSpec`). */
const REGISTRY = new Map<string, ModelSpec>(
  [
    ...TEST_ONLY,
    ...["Leaderboard", "AnnotationSpec", "Provider", "ProviderModel", "SavedView", "ComparisonView", "ChartConfig", "AlertSpec", "AgentDashboard", "ActionSpec"].map((n) => passThrough(n)),
    // The SDK's executable model derives from weave.Model; its stored chain says so (`_weave_serialized_bases`).
    passThrough("LLMStructuredCompletionModel", ["Model", "Object", "BaseModel"]),
  ].map((spec) => [spec.name, spec]),
);

function isDict(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const INT_TEXT = /^[+-]?\d+(?:_\d+)*(?:\.0*)?$/;

/** Pydantic's lax `int`: returns the int, or an error message. */
function coerceInt(v: unknown): number | string {
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "number") {
    return Number.isInteger(v) ? v : "Input should be a valid integer, got a number with a fractional part";
  }
  if (typeof v === "string") {
    const t = v.trim();
    return INT_TEXT.test(t) ? Math.trunc(Number(t.replace(/_/g, ""))) : "Input should be a valid integer, unable to parse string as an integer";
  }
  return "Input should be a valid integer";
}

function validateField(type: FieldType, v: unknown, path: string, issues: ValidationIssue[]): unknown {
  if (type === "int") {
    const out = coerceInt(v);
    if (typeof out === "string") issues.push({ path, message: out });
    return out;
  }
  if (type === "str" || type === "optional-str") {
    if (typeof v === "string" || (v === null && type === "optional-str")) return v;
    issues.push({ path, message: "Input should be a valid string" });
    return v;
  }
  return validateModel(type.model, v, path, issues);
}

function validateModel(spec: ModelSpec, input: unknown, path: string, issues: ValidationIssue[]): unknown {
  if (!isDict(input)) {
    issues.push({ path, message: `Input should be a valid dictionary or instance of ${spec.name}` });
    return input;
  }
  const dump: Record<string, unknown> = { _type: spec.name };
  const listed = new Set<string>();
  for (const field of spec.fields) {
    const key = field.alias ?? field.name;
    listed.add(key);
    const fieldPath = path ? `${path}.${key}` : key;
    if (Object.hasOwn(input, key)) dump[key] = validateField(field.type, input[key], fieldPath, issues);
    else if ("default" in field) dump[key] = field.default;
    else issues.push({ path: fieldPath, message: "Field required" });
  }
  if (spec.passThrough) {
    for (const [key, value] of Object.entries(input)) {
      // The weave bookkeeping keys are rewritten below, never copied.
      if (listed.has(key) || key === "_type" || key === "_class_name" || key === "_bases") continue;
      // defineProperty: a JSON key "__proto__" must stay a plain own property.
      Object.defineProperty(dump, key, { value, enumerable: true, writable: true, configurable: true });
    }
  }
  dump._class_name = spec.name;
  dump._bases = [...spec.bases];
  return dump;
}

/**
 * Validates `val` as builtin class `className` and returns Weave's re-dump of it (§4.2), or undefined
 * when the class is not in the registry.
 * @throws WeftError VALIDATION listing every field that fails validation (pydantic ValidationError, 400).
 */
export function dumpBuiltinObject(className: string, val: Record<string, unknown>): Record<string, unknown> | undefined {
  const spec = REGISTRY.get(className);
  if (!spec) return undefined;
  const issues: ValidationIssue[] = [];
  const dump = validateModel(spec, val, "", issues) as Record<string, unknown>;
  if (issues.length > 0) {
    const shown = issues.map((i) => `${i.path}: ${i.message}`).join("; ");
    throw new WeftError("VALIDATION", `Invalid ${className} value: ${shown}`, { issues });
  }
  return dump;
}
