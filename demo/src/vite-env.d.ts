/// <reference types="vite/client" />
// Vite's ambient types for the demo: `import "./x.css"` and `import.meta.glob`.
