/**
 * The assistant's knowledge: short help-centre articles about Kestrel, a fictional note-taking app
 * for small teams, plus the order records the "order status" tool looks up. Bundled as data so the
 * demo works offline.
 */

export interface Doc {
  id: string;
  title: string;
  text: string;
}

export const DOCS: readonly Doc[] = [
  {
    id: "getting-started",
    title: "Getting started with Kestrel",
    text:
      "Kestrel is a note-taking and task app for small teams. To begin, create a workspace from the welcome screen and give it a name. " +
      "Invite teammates from Settings > Members by entering their email addresses; each invite link is valid for 7 days. " +
      "Notes live in notebooks, and every notebook can be private or shared with the whole workspace. " +
      "Type a slash in any note to insert a checklist, a table, a code block or a reminder. " +
      "Tasks created from a checklist item show up in the Today view with their due dates.",
  },
  {
    id: "pricing",
    title: "Plans and pricing",
    text:
      "Kestrel has three plans. Free covers up to 3 members and 1 GB of attachments. " +
      "Team costs $8 per member per month billed annually ($96 per member per year), or $10 per member billed monthly, and adds unlimited members, 100 GB of storage and version history for 90 days. " +
      "Business costs $15 per member per month billed annually and adds single sign-on (SSO), an audit log and unlimited version history. " +
      "Nonprofits and schools get 20% off any paid plan. You can switch plans at any time; the difference is prorated to the day.",
  },
  {
    id: "offline-sync",
    title: "Offline mode and sync",
    text:
      "Kestrel works offline on desktop and mobile. Changes are saved on the device and sync when the connection returns. " +
      "If two people edit the same paragraph while offline, Kestrel keeps both versions and marks the note with a conflict banner so you can pick one. " +
      "A workspace can be synced on up to 5 devices per member on the Free plan and unlimited devices on paid plans. " +
      "If sync seems stuck, open Settings > Sync and choose Resync now; this re-sends local changes without deleting anything.",
  },
  {
    id: "shortcuts",
    title: "Keyboard shortcuts",
    text:
      "Press Ctrl+K (Cmd+K on macOS) to open the quick switcher and jump to any note. " +
      "Ctrl+N creates a new note, Ctrl+Shift+T turns the selected line into a task, and Ctrl+Enter marks a task done. " +
      "Ctrl+/ shows the full list of shortcuts. Shortcuts can be remapped in Settings > Keyboard.",
  },
  {
    id: "import-export",
    title: "Importing and exporting notes",
    text:
      "You can import Markdown files, Evernote ENEX exports and Notion HTML exports from Settings > Import. " +
      "Attachments are imported too, up to 50 MB per file. " +
      "To export, open a notebook menu and choose Export: Markdown keeps your folder structure, PDF is best for printing, and JSON includes every field for backups. " +
      "Workspace admins can export the whole workspace as one ZIP archive.",
  },
  {
    id: "security",
    title: "Security and privacy",
    text:
      "All notes are encrypted at rest with AES-256 and in transit with TLS 1.3. " +
      "Kestrel is SOC 2 Type II certified and offers data residency in the EU or the US on the Business plan. " +
      "Two-factor authentication can be required for every member by a workspace admin. " +
      "Kestrel never uses your notes to train models, and deleted notes are purged from backups after 30 days.",
  },
  {
    id: "shipping-returns",
    title: "Kestrel Pen: orders, shipping and returns",
    text:
      "The Kestrel Pen is a smart stylus that turns handwriting into searchable notes; it costs $79. " +
      "Orders ship within 2 business days and arrive in 3 to 7 business days; every order number looks like KS-12345 and is in your confirmation email. " +
      "You can return an unused pen within 30 days for a full refund; refunds reach your card 5 to 10 days after we receive the return. " +
      "The pen has a one-year warranty against defects.",
  },
  {
    id: "troubleshooting",
    title: "Troubleshooting sign-in and sync",
    text:
      "If you cannot sign in, reset your password from the sign-in page; reset links expire after one hour. " +
      "If your workspace uses SSO, sign in through your company's identity provider instead. " +
      "Notes that do not appear on another device are usually waiting to sync: check that both devices show the same workspace and that sync is not paused. " +
      "Clearing the app cache from Settings > Advanced fixes most display problems and never deletes notes.",
  },
];

export interface OrderRecord {
  id: string;
  item: string;
  status: "processing" | "shipped" | "delivered" | "returned";
  placed: string;
  carrier?: string;
  eta?: string;
}

/** The orders the order-status tool knows about. Any other KS- number is "not found". */
export const ORDERS: readonly OrderRecord[] = [
  { id: "KS-10231", item: "Kestrel Pen (graphite)", status: "shipped", placed: "2025-05-02", carrier: "UPS", eta: "2025-05-08" },
  { id: "KS-10488", item: "Kestrel Pen (white)", status: "processing", placed: "2025-05-06" },
  { id: "KS-10502", item: "Kestrel Pen (graphite) x2", status: "delivered", placed: "2025-04-21", carrier: "DHL" },
  { id: "KS-10777", item: "Kestrel Pen (sand)", status: "returned", placed: "2025-03-30" },
  { id: "KS-11003", item: "Kestrel Pen (white)", status: "shipped", placed: "2025-05-05", carrier: "FedEx", eta: "2025-05-09" },
];

/** Questions the UI suggests and the sample-data generator draws from. */
export const SAMPLE_QUESTIONS: readonly string[] = [
  "How much does the Team plan cost for 12 members per year?",
  "Where is my order KS-10231?",
  "Can I use Kestrel offline?",
  "How do I invite teammates to my workspace?",
  "What is the shortcut to open the quick switcher?",
  "Is my data encrypted?",
  "How do I export a notebook to PDF?",
  "What happens when two people edit the same note offline?",
  "Do nonprofits get a discount?",
  "What's the status of order KS-10488?",
  "How long do refunds take for the Kestrel Pen?",
  "Can I import my notes from Evernote?",
  "How much is the Business plan for 25 members per year?",
  "Sync seems stuck, what should I do?",
  "Does Kestrel support single sign-on?",
  "Where is order KS-99999?",
  "How many devices can I sync on the free plan?",
  "What is 15% of 480?",
  "How do I turn a line into a task?",
  "Are deleted notes kept in backups?",
];
