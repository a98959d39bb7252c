/**
 * Which model the assistant uses: the built-in offline stand-in (default), or an OpenAI-compatible
 * endpoint (base URL, model, key). Base URL and model are remembered in `localStorage`; the key only
 * in `sessionStorage` (this tab), and it is sent nowhere but the base URL.
 */
import { h, type ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { SIM_MODEL, type EndpointSettings } from "./app/model";
import { Modal } from "./modal";

export interface ModelSettings {
  mode: "builtin" | "endpoint";
  endpoint: EndpointSettings;
}

const STORE_KEY = "weft-demo-model";
const KEY_KEY = "weft-demo-model-key";

export function loadModelSettings(): ModelSettings {
  const fallback: ModelSettings = { mode: "builtin", endpoint: { baseUrl: "http://127.0.0.1:11434/v1", model: "llama3.2", apiKey: "" } };
  try {
    const saved = JSON.parse(localStorage.getItem(STORE_KEY) ?? "null") as Partial<{ mode: string; baseUrl: string; model: string }> | null;
    if (!saved) return fallback;
    return {
      mode: saved.mode === "endpoint" ? "endpoint" : "builtin",
      endpoint: {
        baseUrl: typeof saved.baseUrl === "string" ? saved.baseUrl : fallback.endpoint.baseUrl,
        model: typeof saved.model === "string" ? saved.model : fallback.endpoint.model,
        apiKey: sessionStorage.getItem(KEY_KEY) ?? "",
      },
    };
  } catch {
    return fallback;
  }
}

export function saveModelSettings(settings: ModelSettings): void {
  localStorage.setItem(STORE_KEY, JSON.stringify({ mode: settings.mode, baseUrl: settings.endpoint.baseUrl, model: settings.endpoint.model }));
  if (settings.endpoint.apiKey) sessionStorage.setItem(KEY_KEY, settings.endpoint.apiKey);
  else sessionStorage.removeItem(KEY_KEY);
}

export function SettingsDialog({ settings, onSave, onClose }: { settings: ModelSettings; onSave: (s: ModelSettings) => void; onClose: () => void }): ComponentChildren {
  const [mode, setMode] = useState(settings.mode);
  const [endpoint, setEndpoint] = useState(settings.endpoint);
  const [error, setError] = useState<string | null>(null);
  const edit = (patch: Partial<EndpointSettings>): void => setEndpoint({ ...endpoint, ...patch });
  const save = (event: Event): void => {
    event.preventDefault();
    if (mode === "endpoint") {
      try {
        const url = new URL(endpoint.baseUrl);
        if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error("not http");
      } catch {
        setError("Base URL must be an http(s) URL such as http://127.0.0.1:11434/v1");
        return;
      }
      if (!endpoint.model.trim()) {
        setError("Model is required, e.g. gpt-4o-mini or llama3.2");
        return;
      }
    }
    const next = { mode, endpoint: { ...endpoint, baseUrl: endpoint.baseUrl.trim(), model: endpoint.model.trim() } };
    saveModelSettings(next);
    onSave(next);
    onClose();
  };
  const radio = (value: ModelSettings["mode"], label: string, hint: string): ComponentChildren =>
    h(
      "label",
      { class: `radio-card${mode === value ? " checked" : ""}` },
      h("input", { type: "radio", name: "mode", checked: mode === value, onChange: () => setMode(value) }),
      h("span", null, h("strong", null, label), h("span", { class: "small muted" }, hint)),
    );
  return h(
    Modal,
    { title: "Model settings", onClose, testId: "settings-dialog" },
    h(
      "form",
      { onSubmit: save },
      radio("builtin", "Built-in stand-in (offline)", `${SIM_MODEL}: composes answers from the retrieved passages; deterministic; priced with a project-level price so costs show.`),
      radio("endpoint", "OpenAI-compatible endpoint", "Through weft's completions_create: the worker calls {base URL}/chat/completions and logs the request (Ollama, llama.cpp, vLLM, LM Studio, OpenAI…)."),
      h(
        "fieldset",
        { class: "form-section", disabled: mode !== "endpoint" },
        h("label", { class: "field" }, "Base URL", h("input", { class: "control", value: endpoint.baseUrl, onInput: (e: Event) => edit({ baseUrl: (e.currentTarget as HTMLInputElement).value }) })),
        h("label", { class: "field" }, "Model", h("input", { class: "control", value: endpoint.model, onInput: (e: Event) => edit({ model: (e.currentTarget as HTMLInputElement).value }) })),
        h(
          "label",
          { class: "field" },
          "API key (this tab and the worker's memory only)",
          h("input", { class: "control", type: "password", autocomplete: "off", value: endpoint.apiKey, onInput: (e: Event) => edit({ apiKey: (e.currentTarget as HTMLInputElement).value }) }),
        ),
        h(
          "p",
          { class: "small muted" },
          "The demo server's Content-Security-Policy allows connections to 127.0.0.1 and localhost only, so use a local server (or serve the demo with a policy that names your provider).",
        ),
      ),
      error ? h("p", { class: "error-text", role: "alert" }, error) : null,
      h("div", { class: "row end" }, h("button", { type: "button", class: "button", onClick: onClose }, "Cancel"), h("button", { type: "submit", class: "button primary" }, "Save")),
    ),
  );
}
