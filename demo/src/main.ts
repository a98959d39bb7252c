/**
 * The demo's entry: styles, the root component, and `globalThis.weftDemo` (the client and project
 * id, for poking at the store from the browser console).
 */
import { h, render } from "preact";
import { Shell } from "./shell";
import { PROJECT_ID, client } from "./store";
import "./styles.css";

declare global {
  // eslint-disable-next-line no-var
  var weftDemo: { client: typeof client; projectId: string; ready: Promise<void> } | undefined;
}

const root = document.getElementById("app");
if (!root) throw new Error("index.html has no #app element");
root.textContent = "";
render(h(Shell, null), root);

globalThis.weftDemo = { client, projectId: PROJECT_ID, ready: client.ready() };
