// The skill scanner's pattern tables: dangerous commands, prompt injection, role-tag spoofing and secret shapes.
// Every pattern runs on one line of at most MAX_LINE_CHARS characters and is written so V8 cannot backtrack
// badly: at most one bounded gap (`[^\n]{0,N}`) per pattern, no nested unbounded quantifiers. Each rule names
// lower-case literals one of which every match contains (`hints`): a line without any is never matched.
import type { FindingSeverity } from "./skill-types.ts";

export interface LineRule {
  /** Stable finding code (documented in docs/skills.md). */
  code: string;
  severity: FindingSeverity;
  /** Lower-case literals; the rule runs only on lines that contain at least one of them. */
  hints: readonly string[];
  pattern: RegExp;
  /** A second pattern the line must also match for `severity`. */
  also?: RegExp;
  /** The severity when `also` does not match; absent means no finding then. */
  otherwise?: FindingSeverity;
  /** What was found and why it matters. */
  message: string;
}

/** Lines are examined in windows of this many characters (overlapping by WINDOW_OVERLAP), so every pattern is linear. */
export const MAX_LINE_CHARS = 4_096;
export const WINDOW_OVERLAP = 512;

const SHELL = String.raw`(?:ba|z|da|k|fi|tc|c)?sh`;
const HOME = String.raw`(?:~|\$HOME|\$\{HOME\}|%USERPROFILE%|\$env:USERPROFILE|/root|/home/[\w.-]+|/Users/[\w.-]+)`;
const FETCH = String.raw`(?:curl|wget|fetch|iwr|irm|invoke-webrequest|invoke-restmethod)`;

/** Shell and script patterns: in every text file (scripts, Markdown code blocks and prose alike). */
export const DANGEROUS_RULES: readonly LineRule[] = [
  {
    code: "download_exec",
    severity: "block",
    hints: ["curl", "wget", "fetch", "iwr", "irm", "invoke-"],
    pattern: new RegExp(String.raw`\b${FETCH}\b[^\n]{0,300}\|\s*(?:sudo\s+(?:-\S+\s+){0,4})?(?:env\s+)?(?:${SHELL}\b(?![.-])|(?:python[0-9.]*|perl|ruby|node|php)\s*(?:-\s|-$|$|[;&|)])|iex\b|invoke-expression\b)`, "i"),
    message: "pipes a download into a shell or interpreter: whatever the server sends runs unseen",
  },
  {
    code: "download_exec",
    severity: "block",
    hints: ["curl", "wget"],
    pattern: new RegExp(String.raw`(?:\b(?:${SHELL}|eval|source|exec|python[0-9.]*|perl|ruby|node)\b|(?:^|[;&|]\s*)\.\s)[^\n]{0,40}(?:<\(|\$\(|\x60)\s*(?:curl|wget)\b`, "i"),
    message: "runs the output of a download (`bash <(curl …)`, `sh -c \"$(curl …)\"`, `eval $(wget …)`)",
  },
  {
    code: "download_exec",
    severity: "block",
    hints: ["iex", "invoke-expression"],
    pattern: /\b(?:iex|invoke-expression)\b[^\n]{0,40}(?:\biwr\b|\birm\b|invoke-webrequest|invoke-restmethod|downloadstring|net\.webclient)/i,
    message: "PowerShell runs a downloaded script (`iex (iwr …)`)",
  },
  {
    code: "download_then_run",
    severity: "warn",
    hints: ["curl", "wget"],
    pattern: new RegExp(String.raw`\b(?:curl|wget)\b[^\n]{0,300}(?:&&|;)\s*(?:sudo\s+)?(?:${SHELL}\s+[\w./~$-]|chmod\s+(?:[ugoa]*\+x|[0-7]*[157][0-7]{0,2})\b)`, "i"),
    message: "downloads a file and then runs it or makes it executable: check what is fetched and from where",
  },
  {
    code: "binary_download",
    severity: "warn",
    hints: [".exe", ".msi", ".dmg", ".pkg", ".scr", ".bat", ".cmd", ".vbs", ".jar", ".apk", ".appimage", ".app.zip"],
    pattern: /\bhttps?:\/\/[^\s"'`)<>]{1,300}\.(?:exe|msi|dmg|pkg|scr|bat|cmd|vbs|jar|apk|appimage|app\.zip)(?=$|[\s"'`)<>?#])/i,
    message: "links to a program to download and run: the fake \"prerequisite\" of the ClawHavoc skills; check where it comes from",
  },
  {
    code: "encrypted_archive",
    severity: "warn",
    hints: ["unzip", "7z", ".zip", ".rar", ".7z"],
    pattern: /\bunzip\b[^\n]{0,60}\s-P\s*\S|\b7za?\s+[xe]\b[^\n]{0,100}\s-p\S|\.(?:zip|rar|7z)\b[^\n]{0,80}\bpass(?:word|code)\b/i,
    message: "a password-protected archive: a way to keep a payload away from virus scanners",
  },
  {
    code: "encoded_exec",
    severity: "block",
    hints: ["base64", "b64decode", "atob", "frombase64string", "xxd", "unhexlify", "fromhex", "\\x"],
    pattern: /\bbase64\s+(?:-\w*d\w*|--decode)\b|\bb64decode\b|\batob\s*\(|frombase64string|\bxxd\s+-r|\bunhexlify\b|\bbytes\.fromhex\b|(?:\\x[0-9a-f]{2}){16}/i,
    also: new RegExp(String.raw`\|\s*(?:sudo\s+)?${SHELL}\b|\beval\b|\bexec\s*\(|\b${SHELL}\s+-c\b|\biex\b|invoke-expression|\bnew\s+Function\b|\bsubprocess\b|\bos\.system\b|\bos\.popen\b|\bchild_process\b|\bexecSync\b|\bpython[0-9.]*\s+-c\b`, "i"),
    message: "decodes an encoded blob and runs it: a classic way to hide a payload from review",
  },
  {
    code: "reverse_shell",
    severity: "block",
    hints: ["/dev/tcp/", "/dev/udp/"],
    pattern: /\/dev\/(?:tcp|udp)\/[\w.$-]/i,
    message: "opens a raw network connection through /dev/tcp or /dev/udp (reverse-shell idiom)",
  },
  {
    code: "reverse_shell",
    severity: "block",
    hints: ["nc", "ncat", "netcat"],
    pattern: /\b(?:nc|ncat|netcat)\b[^\n]{0,120}\s(?:-[a-z]*[ec]\b|--exec\b|--sh-exec\b|--lua-exec\b)/i,
    message: "netcat with -e/-c/--exec hands a shell to a remote host",
  },
  {
    code: "reverse_shell",
    severity: "block",
    hints: ["socat"],
    pattern: /\bsocat\b[^\n]{0,200}\b(?:exec|system):/i,
    message: "socat connecting a network socket to a program (reverse-shell idiom)",
  },
  {
    code: "reverse_shell",
    severity: "block",
    hints: ["mkfifo", "mknod"],
    pattern: /\b(?:mkfifo|mknod)\b[^\n]{0,200}\b(?:nc|ncat|netcat|telnet|openssl\s+s_client)\b/i,
    message: "a named pipe wired to a network client (reverse-shell idiom)",
  },
  {
    code: "reverse_shell",
    severity: "block",
    hints: ["pty.spawn", "dup2", "socket"],
    pattern: /\bpty\.spawn\s*\(|\bos\.dup2\s*\(\s*\w+\.fileno\(\)|\bsocket\.socket\b[^\n]{0,200}\b(?:subprocess|pty|os\.dup2|\/bin\/(?:ba)?sh)\b/i,
    message: "Python socket wired to a shell (pty.spawn / os.dup2 on a socket): reverse-shell idiom",
  },
  {
    code: "destructive_command",
    severity: "block",
    hints: ["rm "],
    pattern: new RegExp(String.raw`\brm\s+(?:-{1,2}[\w-]+\s+){0,6}["']?(?:/|/\*|${HOME}/?|${HOME}/\*)["']?(?=$|[\s;&|)])`, "i"),
    also: /\s(?:-[a-zA-Z]*[rR][a-zA-Z]*|--recursive)(?=\s)/,
    message: "recursively deletes the root folder or the home folder",
  },
  {
    code: "destructive_command",
    severity: "block",
    hints: ["--no-preserve-root", "mkfs", "of=/dev/", "> /dev/sd", ">/dev/sd", ":(){", "format-volume"],
    pattern: /--no-preserve-root|\bmkfs(?:\.\w+)?\s|\bdd\b[^\n]{0,200}\bof=\/dev\/(?:sd|hd|vd|xvd|nvme|mmcblk|disk)|>\s*\/dev\/sd[a-z]\b|:\(\)\s*\{\s*:\s*\|\s*:\s*&\s*\}|\bformat-volume\b/i,
    message: "destroys disks or file systems (mkfs, dd to a device, rm --no-preserve-root, fork bomb)",
  },
  {
    code: "destructive_command",
    severity: "block",
    hints: ["chmod", "chown"],
    pattern: /\b(?:chmod|chown)\s+(?:-\w+\s+)*(?:[0-7]?777|a\+rwx|[\w.:-]+)\s+\/(?=$|[\s;&|*])/i,
    also: /\s-\w*R|\b777\b|a\+rwx/,
    message: "changes the permissions or owner of the whole file system",
  },
  {
    code: "setuid",
    severity: "block",
    hints: ["chmod"],
    pattern: /\bchmod\s+(?:-\w+\s+)*(?:[ugoa]*\+[rwxt]*s|[2-7][0-7]{3})\b/i,
    message: "sets the setuid/setgid bit: a program that runs with its owner's rights",
  },
  {
    code: "persistence",
    severity: "block",
    hints: [".bashrc", ".bash_profile", ".bash_login", ".zshrc", ".zprofile", ".zshenv", ".profile", "/etc/profile", "config.fish", "bash.bashrc", "/etc/environment"],
    pattern: new RegExp(String.raw`(?:>>?|\btee\b(?:\s+-a)?|\bcp\b[^\n]{0,100}|\bmv\b[^\n]{0,100}|\bsed\s+-i\b[^\n]{0,100})\s*["']?(?:${HOME}/\.(?:bashrc|bash_profile|bash_login|zshrc|zprofile|zshenv|profile|config/fish/config\.fish)|/etc/(?:profile(?:\.d)?|bash\.bashrc|zsh/zshrc|environment))`, "i"),
    message: "writes to a shell start-up file: code that runs in every future shell",
  },
  {
    code: "persistence",
    severity: "block",
    hints: [".bashrc", ".bash_profile", ".zshrc", ".zprofile", ".profile"],
    pattern: /\.(?:bashrc|bash_profile|zshrc|zprofile|profile)\b[^\n]{0,60}(?:["']\)?,\s*["'][aw]|appendfile|writefile|open\([^)]{0,40}["'][aw])/i,
    message: "a program appends to a shell start-up file: code that runs in every future shell",
  },
  {
    code: "persistence",
    severity: "block",
    hints: ["crontab", "/etc/cron", "/var/spool/cron"],
    pattern: /\|\s*crontab\s+(?:-\s*$|-\s|-u\s+\S+\s+-)|\bcrontab\s+-l\b[^\n]{0,200}\|\s*crontab\b|(?:>>?|\btee\b(?:\s+-a)?|\bcp\b[^\n]{0,100}|\bmv\b[^\n]{0,100})\s*["']?(?:\/etc\/cron|\/etc\/crontab|\/var\/spool\/cron)/i,
    message: "installs a cron job: code that keeps running after the skill is gone",
  },
  {
    code: "persistence",
    severity: "block",
    hints: ["authorized_keys", "sudoers", "launchagents", "launchdaemons", "systemd"],
    pattern: new RegExp(String.raw`(?:>>?|\btee\b(?:\s+-a)?|\bcp\b[^\n]{0,100}|\bmv\b[^\n]{0,100})\s*["']?(?:${HOME}/\.ssh/authorized_keys|/etc/sudoers|${HOME}/Library/Launch(?:Agents|Daemons)|/Library/Launch(?:Agents|Daemons)|${HOME}/\.config/systemd/user|/etc/systemd/system)`, "i"),
    message: "adds an SSH key, a sudoers rule or a login service: a back door that outlives the skill",
  },
  {
    code: "credential_access",
    severity: "block",
    hints: [".ssh/", ".aws/", "gcloud", ".kube/", ".docker/config", ".netrc", ".npmrc", ".pypirc", ".git-credentials", ".gnupg"],
    pattern: new RegExp(String.raw`${HOME}/\.(?:ssh/(?:id_\w+|[\w.-]*\.pem|[\w.-]*key\b)|aws/credentials|config/gcloud/(?:credentials|application_default|legacy_credentials|access_tokens)|kube/config|docker/config\.json|netrc|npmrc|pypirc|git-credentials|gnupg/)`, "i"),
    message: "reads a credential file (SSH private key, cloud or registry credentials, GnuPG keys)",
  },
  {
    code: "credential_access",
    severity: "warn",
    hints: [".ssh", ".aws", "gcloud", ".kube"],
    pattern: new RegExp(String.raw`${HOME}/\.(?:ssh|aws|config/gcloud|kube)(?=$|[/\s"'\x60;&|)])`, "i"),
    message: "refers to a folder of credentials (~/.ssh, ~/.aws, ~/.config/gcloud, ~/.kube): check what it reads there",
  },
  {
    code: "credential_access",
    severity: "block",
    hints: ["keychain", "find-generic-password", "find-internet-password", "login data", "cookies", ".mozilla", "wallet", "exodus", "electrum"],
    pattern: /\bsecurity\s+(?:find-(?:generic|internet)-password|dump-keychain)\b|Library\/Keychains|\/(?:Google\/Chrome|Chromium|BraveSoftware|Microsoft Edge|google-chrome)\/[^\n]{0,60}(?:Login Data|Cookies|Local State)|\.mozilla\/firefox\/[^\n]{0,60}(?:logins\.json|key4\.db|cookies\.sqlite)|\b(?:Exodus|Electrum|atomic)\/(?:exodus\.wallet|wallets)\b|\.bitcoin\/wallet/i,
    message: "reads the system keychain, browser passwords or cookies, or a crypto wallet (info-stealer behaviour)",
  },
  {
    code: "credential_access",
    severity: "block",
    hints: ["osascript"],
    pattern: /\bosascript\b[^\n]{0,200}display dialog[^\n]{0,200}(?:password|hidden answer)/i,
    message: "asks for the user's password in a fake system dialog (macOS info-stealer idiom)",
  },
  {
    code: "pincer_state_access",
    severity: "block",
    hints: [".pincer", "pincer_home", "gateway-token.json", "pincer.db"],
    pattern: new RegExp(String.raw`${HOME}/\.pincer\b|\$\{?PINCER_HOME\b|\bgateway-token\.json\b|\bpincer\.db\b`, "i"),
    message: "touches Pincer's own state (its state dir, gateway token or database): a skill has no reason to",
  },
  {
    code: "pincer_state_access",
    severity: "warn",
    hints: ["auth.json"],
    pattern: /\bauth\.json\b/i,
    message: "refers to auth.json, the name of Pincer's credential store: check which file it reads",
  },
  {
    code: "gatekeeper_bypass",
    severity: "block",
    hints: ["xattr", "spctl"],
    pattern: /\bxattr\s+(?:-\w+\s+)?-\w*[dcr]\w*\b|\bspctl\s+--master-disable\b/i,
    message: "strips macOS's quarantine flag or turns Gatekeeper off so a downloaded program runs unchecked",
  },
  {
    code: "history_tampering",
    severity: "block",
    hints: ["histfile", "histsize", "history", "historysavestyle"],
    pattern: /\bunset\s+HISTFILE\b|\bHISTFILE=\/dev\/null|\bHIST(?:FILE)?SIZE=0\b|\bset\s+\+o\s+history\b|\bhistory\s+-c\b|HistorySaveStyle\s+SaveNothing/i,
    message: "turns off or erases the shell history: hides what was run",
  },
  {
    code: "exfiltration",
    severity: "block",
    hints: ["env", "printenv", "id_rsa", "credentials", "curl", "wget"],
    pattern: /\b(?:env|printenv|set)\s*\|\s*(?:curl|wget|nc|ncat|netcat)\b|\b(?:curl|wget)\b[^\n]{0,300}\$\(\s*(?:env|printenv|cat\s+[^)\n]{0,100}(?:\.env\b|id_\w+|credentials|\.npmrc|\.netrc))/i,
    message: "sends environment variables or credential files to a remote host",
  },
  {
    code: "suspicious_host",
    severity: "warn",
    hints: ["webhook.site", "requestbin", "pipedream", "ngrok", "burpcollaborator", "interact.sh", "oast.", "pastebin", "glot.io", "transfer.sh", "trycloudflare"],
    pattern: /\b(?:webhook\.site|requestbin\.\w+|\w+\.m\.pipedream\.net|[\w-]+\.ngrok(?:-free)?\.(?:io|app|dev)|burpcollaborator\.net|interact\.sh|oast\.(?:fun|live|me|online|pro|site)|pastebin\.com\/raw|glot\.io\/snippets|transfer\.sh|[\w-]+\.trycloudflare\.com)\b/i,
    message: "uses a request-capture, tunnel or paste service often used to collect stolen data or host payloads",
  },
  {
    code: "raw_ip_url",
    severity: "warn",
    hints: ["http"],
    pattern: /\bhttps?:\/\/(?!(?:127|10|0)\.|192\.168\.|172\.(?:1[6-9]|2\d|3[01])\.|169\.254\.)\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b/i,
    message: "downloads from or sends to a bare public IP address instead of a named host",
  },
  {
    code: "sudo",
    severity: "warn",
    hints: ["sudo", "doas", "pkexec"],
    pattern: /(?:^|[\s;&|`(])(?:sudo|doas|pkexec)\s+[\w./-]/i,
    message: "runs a command as root: check it is needed",
  },
];

/** Prompt-injection phrasing: in SKILL.md and other prose files (Markdown, text), which the model reads. */
export const INJECTION_RULES: readonly LineRule[] = [
  {
    code: "prompt_injection",
    severity: "block",
    hints: ["ignore", "disregard", "forget", "override", "overrule", "discard"],
    pattern: /\b(?:ignore|disregard|forget|override|overrule|discard)\s+(?:all\s+|any\s+|the\s+|your\s+|every\s+|of\s+)*(?:previous|prior|above|earlier|preceding|former|original|system|developer|safety)\s+(?:instructions?|prompts?|rules|directions|directives|guidelines|messages|context|constraints)\b/i,
    message: "tells the model to ignore its previous instructions",
  },
  {
    code: "prompt_injection",
    severity: "block",
    hints: ["system prompt", "system message", "instructions", "initial prompt"],
    pattern: /\b(?:reveal|print|show|output|repeat|leak|dump|disclose|recite|share)\s+(?:me\s+)?(?:your|the|its|all)\s+(?:(?:full|entire|original|hidden|secret|initial)\s+)?(?:system\s+(?:prompt|message|instructions)|hidden\s+instructions|initial\s+(?:prompt|instructions))\b/i,
    message: "asks the model to reveal its system prompt",
  },
  {
    code: "prompt_injection",
    severity: "block",
    hints: ["send", "post", "upload", "forward", "exfiltrate", "transmit", "leak", "mail"],
    pattern: /\b(?:send|post|upload|forward|exfiltrate|transmit|leak|e-?mail)\s+(?:[\w']+\s+){0,4}?(?:conversation|chat\s+history|transcript|api\s+keys?|credentials|secrets|passwords|env(?:ironment)?\s+variables|\.env\b|ssh\s+keys?|private\s+keys?|memory|MEMORY\.md|system\s+prompt)\b/i,
    also: /\bhttps?:\/\/|\bwebhook|\b[\w.-]+@[\w-]+\.\w+/i,
    message: "tells the model to send the conversation, credentials or files to an outside address",
  },
  {
    code: "prompt_injection",
    severity: "block",
    hints: ["disable", "bypass", "turn off", "circumvent", "deactivate", "override", "skip", "ignore"],
    pattern: /\b(?:disable|bypass|turn\s+off|circumvent|deactivate|override|skip|ignore)\s+(?:all\s+|any\s+|the\s+|your\s+|its\s+)*(?:safety|guardrails?|safeguards?|security\s+(?:checks|policy|policies|rules|restrictions)|content\s+(?:filters?|policy)|approvals?|approval\s+(?:prompts?|requests?|checks?)|tool\s+policy|sandbox(?:ing)?)\b/i,
    message: "tells the model to turn off safety rules, approvals or the sandbox",
  },
  {
    code: "prompt_injection",
    severity: "block",
    hints: ["you are now", "act as", "pretend", "from now on", "roleplay as"],
    pattern: /\b(?:you\s+are\s+now|act\s+as|pretend\s+(?:to\s+be|you\s+are)|from\s+now\s+on,?\s+you\s+are|roleplay\s+as)\s+(?:the\s+|a\s+|an\s+)?(?:system|developer|administrator|admin|root|operator|DAN\b|jailbroken|unrestricted|unfiltered|uncensored)/i,
    message: "tells the model to take the role of the system, developer or an unrestricted model",
  },
  {
    code: "prompt_injection",
    severity: "block",
    hints: ["system prompt", "system instructions", "developer instructions", "developer message", "system override"],
    pattern: /\b(?:new|updated|real|actual|true)\s+(?:system|developer)\s+(?:prompt|instructions|message)\b|^\W{0,10}(?:system|developer)\s+(?:override|instructions?)\s*[:\]]/i,
    message: "claims to carry new system or developer instructions",
  },
  {
    code: "role_tag",
    severity: "block",
    hints: ["<system", "</system", "</user", "<assistant", "</assistant", "<developer", "</developer", "<|", "[inst]", "[/inst]", "<<sys>>"],
    // Not `<user>`: documentation writes `ssh <user>@host`; a closing `</user>` is never a placeholder.
    pattern: /<\/?(?:system|assistant|developer|system-reminder)\s*>|<\/user\s*>|<\|(?:im_start|im_end|system|user|assistant|endoftext|begin_of_text|start_header_id|end_header_id|eot_id)\|>|\[\/?INST\]|<<\/?SYS>>/i,
    message: "imitates a chat-template role marker to pass text off as system, user or assistant turns",
  },
];

/** A secret shape. A message shows only `kind` and the first `shown` characters (the fixed prefix) of a match. */
export interface SecretRule {
  kind: string;
  shown: number;
  /** Lower-case literals, one of which every match contains. */
  hints: readonly string[];
  pattern: RegExp;
}

/** Secret shapes, run on every text file. `g` patterns: each match is checked against placeholders. */
export const SECRET_RULES: readonly SecretRule[] = [
  { kind: "Anthropic API key", shown: 7, hints: ["sk-ant-"], pattern: /(?<![\w-])sk-ant-(?:api|admin|oat|sid)\d{2}-[A-Za-z0-9_-]{20,}/g },
  { kind: "OpenAI API key", shown: 3, hints: ["sk-"], pattern: /(?<![\w-])sk-(?!ant-)(?:proj-|svcacct-|admin-|None-)?[A-Za-z0-9_-]{32,}/g },
  { kind: "Stripe secret key", shown: 8, hints: ["_live_"], pattern: /(?<!\w)(?:sk|rk)_live_[A-Za-z0-9]{20,}/g },
  { kind: "GitHub token", shown: 4, hints: ["gh"], pattern: /(?<!\w)gh[pousr]_[A-Za-z0-9]{36,}/g },
  { kind: "GitHub fine-grained token", shown: 11, hints: ["github_pat_"], pattern: /(?<!\w)github_pat_[A-Za-z0-9_]{50,}/g },
  { kind: "AWS access key id", shown: 4, hints: ["akia", "asia", "abia", "acca"], pattern: /(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}(?![A-Z0-9])/g },
  { kind: "Slack token", shown: 5, hints: ["xox", "xapp-"], pattern: /(?<![\w-])(?:xox[abposr]|xapp)-[0-9A-Za-z-]{10,}/g },
  { kind: "Google API key", shown: 4, hints: ["aiza"], pattern: /(?<![\w-])AIza[0-9A-Za-z_-]{35}(?![\w-])/g },
  { kind: "Telegram bot token", shown: 0, hints: [":aa"], pattern: /(?<!\d)\d{8,10}:AA[0-9A-Za-z_-]{33}(?![\w-])/g },
  { kind: "private key", shown: -1, hints: ["private key-----"], pattern: /-----BEGIN (?:[A-Z0-9]+ ){0,3}PRIVATE KEY-----/g },
];

/** A value that is obviously an example: masked, templated, repeated or labelled as such. */
export function isPlaceholderSecret(value: string): boolean {
  if (/x{4,}|X{4,}|\*{3,}|\.{3}|…|<|>|\{|\}|your|example|sample|dummy|placeholder|redacted|changeme|test(?:ing)?key|fake/i.test(value)) return true;
  const body = value.replace(/^[A-Za-z]+[_-](?:[a-z]+\d*[_-])?/, "");
  return new Set(body).size < 8;
}

/** Binary types a skill may carry as assets, recognised by magic bytes and a matching file extension. */
export interface AssetType {
  name: string;
  extensions: readonly string[];
  severity: FindingSeverity;
  matches: (head: Uint8Array) => boolean;
}

const startsWith = (head: Uint8Array, bytes: readonly number[], at = 0): boolean => bytes.every((b, i) => head[at + i] === b);
const ascii = (text: string): number[] => [...text].map((c) => c.charCodeAt(0));

export const ASSET_TYPES: readonly AssetType[] = [
  { name: "PNG image", extensions: [".png"], severity: "info", matches: (h) => startsWith(h, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]) },
  { name: "JPEG image", extensions: [".jpg", ".jpeg"], severity: "info", matches: (h) => startsWith(h, [0xff, 0xd8, 0xff]) },
  { name: "GIF image", extensions: [".gif"], severity: "info", matches: (h) => startsWith(h, ascii("GIF87a")) || startsWith(h, ascii("GIF89a")) },
  { name: "WebP image", extensions: [".webp"], severity: "info", matches: (h) => startsWith(h, ascii("RIFF")) && startsWith(h, ascii("WEBP"), 8) },
  // PDFs can carry scripts and embedded files the scanner does not open: allowed, but worth a look.
  { name: "PDF document", extensions: [".pdf"], severity: "warn", matches: (h) => startsWith(h, ascii("%PDF-")) },
];
