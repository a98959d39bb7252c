/**
 * The demo's entry: styles, the root component, and `globalThis.weftDemo` (the client, the project
 * id and the sample-data generator, for poking at the store from the browser console; the viewer
 * benchmark fills a production build's store through it too).
 */
import { h, render } from "preact";
import { OP_NAMES, displayNameFor } from "./app/assistant";
import { generateSampleData, type SampleProgress } from "./app/sample-data";
import { notifyChanged } from "./live";
import { Shell } from "./shell";
import { PROJECT_ID, client } from "./store";
import "./styles.css";

declare global {
  // eslint-disable-next-line no-var
  var weftDemo:
    | {
        client: typeof client;
        projectId: string;
        ready: Promise<void>;
        /** Writes `traces` sample traces (what the "Sample data" panel does), then tells the views. */
        generateSample(traces: number, seed?: number): Promise<SampleProgress>;
      }
    | undefined;
}

const root = document.getElementById("app");
if (!root) throw new Error("index.html has no #app element");
root.textContent = "";
render(h(Shell, null), root);

globalThis.weftDemo = {
  client,
  projectId: PROJECT_ID,
  ready: client.ready(),
  generateSample: async (traces, seed) => {
    const done = await generateSampleData(traces, OP_NAMES, displayNameFor, seed === undefined ? {} : { seed });
    notifyChanged();
    return done;
  },
};
