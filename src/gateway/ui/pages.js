// The Control UI's pages in navigation order. Adding a page = one entry here + its module under pages/; nothing else.
// `icon`: SVG path data on a 24×24 grid, drawn as a stroke. `load`: the module, imported on the first visit; its default
// export is the page component `Page({ route, navigate })`; `route` is { id, rest (percent-encoded path after #/<id>/),
// query (URLSearchParams) }. A page styles itself with its own CSS file: loadStylesheet("/ui/pages/<id>.css") (lib/html.js).

export const PAGES = [
  { id: "overview", title: "Overview", icon: "M4 4h7v7H4zM13 4h7v4h-7zM13 10h7v10h-7zM4 13h7v7H4z", load: () => import("./pages/overview.js") },
  { id: "chat", title: "Chat", icon: "M4 5h16v11H9l-5 4z", load: () => import("./pages/chat.js") },
  { id: "sessions", title: "Sessions", icon: "M4 6h16M4 12h16M4 18h10", load: () => import("./pages/sessions.js") },
  { id: "runs", title: "Runs", icon: "M7 4l12 8-12 8z", load: () => import("./pages/runs.js") },
  { id: "usage", title: "Usage", icon: "M5 20v-8M12 20V4M19 20v-12M3 20h18", load: () => import("./pages/usage.js") },
  { id: "channels", title: "Channels", icon: "M4 12a8 8 0 0 1 16 0M7.5 12a4.5 4.5 0 0 1 9 0M12 12v8", load: () => import("./pages/channels.js") },
  { id: "skills", title: "Skills", icon: "M13 3L5 13h6l-1 8 8-10h-6z", load: () => import("./pages/skills.js") },
  { id: "memory", title: "Memory", icon: "M12 4a8 8 0 1 0 8 8M12 8v4l3 2M16 4h4v4", load: () => import("./pages/memory.js") },
  { id: "approvals", title: "Approvals", icon: "M9 12l2 2 4-4M12 3l8 3v6c0 5-3.5 8-8 9-4.5-1-8-4-8-9V6z", load: () => import("./pages/approvals.js") },
  { id: "mcp", title: "MCP", icon: "M8 3v5M16 3v5M6 8h12v4a6 6 0 0 1-12 0zM12 18v3", load: () => import("./pages/mcp.js") },
  { id: "schedules", title: "Schedules", icon: "M12 7v5l3 2M21 12a9 9 0 1 1-18 0 9 9 0 0 1 18 0", load: () => import("./pages/schedules.js") },
  { id: "logs", title: "Logs", icon: "M5 4h14v16H5zM8 8h8M8 12h8M8 16h5", load: () => import("./pages/logs.js") },
  { id: "audit", title: "Audit", icon: "M12 3l8 3v6c0 5-3.5 8-8 9-4.5-1-8-4-8-9V6z", load: () => import("./pages/audit.js") },
  { id: "config", title: "Config", icon: "M4 7h10M18 7h2M4 17h4M12 17h8M16 5v4M10 15v4", load: () => import("./pages/config.js") },
];
