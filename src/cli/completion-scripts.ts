// Shell completion scripts for bash, zsh and fish, generated from a plain description of the command tree (built
// from commander's tree by completion-command.ts). Each script finds the command path typed so far (`gateway token`)
// and offers that command's subcommands, options, and the choices of its arguments and options. Pure.

export interface OptionSpec {
  /** `--port` */
  long: string | undefined;
  /** `-p` */
  short: string | undefined;
  description: string;
  takesValue: boolean;
  choices: string[] | undefined;
}

export interface CommandSpec {
  name: string;
  description: string;
  options: OptionSpec[];
  /** Choices of the command's positional arguments, all together (e.g. `bash zsh fish`). */
  argChoices: string[];
  commands: CommandSpec[];
}

interface Node {
  /** The command path after the program name, space-separated; "" for the program itself. */
  path: string;
  spec: CommandSpec;
}

function walk(root: CommandSpec): Node[] {
  const out: Node[] = [];
  const visit = (spec: CommandSpec, path: string): void => {
    out.push({ path, spec });
    for (const sub of spec.commands) visit(sub, path ? `${path} ${sub.name}` : sub.name);
  };
  visit(root, "");
  return out;
}

const flagsOf = (o: OptionSpec): string[] => [o.short, o.long].filter((f): f is string => f !== undefined);
const oneLine = (text: string): string => text.replace(/\s+/g, " ").trim();
/** Single-quoted for sh, bash, zsh and fish alike ('it'\''s' works in all four). */
const sq = (text: string): string => `'${text.replace(/'/g, "'\\''")}'`;
/** fish quotes differently: backslash-escapes inside single quotes. */
const fishQuote = (text: string): string => `'${text.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`;

export function renderBash(root: CommandSpec): string {
  const nodes = walk(root);
  const fn = `_${root.name}_completions`;
  const cases = (pick: (n: Node) => string[]): string =>
    nodes.map((n) => `    ${sq(n.path)}) printf '%s\\n' ${pick(n).map(sq).join(" ") || "''"} ;;`).join("\n");
  return `# ${root.name} completion for bash. Load it with: source <(${root.name} completion bash)
# or install it: ${root.name} completion bash > ~/.local/share/bash-completion/completions/${root.name}
_${root.name}_subcommands() {
  case "$1" in
${cases((n) => n.spec.commands.map((c) => c.name))}
  esac
}
_${root.name}_options() {
  case "$1" in
${cases((n) => [...n.spec.options.flatMap(flagsOf), "--help"])}
  esac
}
_${root.name}_value_options() {
  case "$1" in
${cases((n) => n.spec.options.filter((o) => o.takesValue).flatMap(flagsOf))}
  esac
}
_${root.name}_choices() {
  case "$1" in
${cases((n) => n.spec.argChoices)}
${nodes.flatMap((n) => n.spec.options.filter((o) => o.choices?.length).flatMap((o) => flagsOf(o).map((f) => `    ${sq(`${n.path} ${f}`)}) printf '%s\\n' ${o.choices!.map(sq).join(" ")} ;;`))).join("\n")}
  esac
}
${fn}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="" path="" word i skip=0
  (( COMP_CWORD > 0 )) && prev="\${COMP_WORDS[COMP_CWORD-1]}"
  for (( i = 1; i < COMP_CWORD; i++ )); do
    word="\${COMP_WORDS[i]}"
    if (( skip )); then skip=0; continue; fi
    if [[ "$word" == -* ]]; then
      [[ "$word" != *=* ]] && _${root.name}_value_options "$path" | grep -qxF -- "$word" && skip=1
      continue
    fi
    _${root.name}_subcommands "$path" | grep -qxF -- "$word" && path="\${path:+$path }$word"
  done
  if [[ "$prev" == -* ]] && _${root.name}_value_options "$path" | grep -qxF -- "$prev"; then
    local choices; choices="$(_${root.name}_choices "$path $prev")"
    if [[ -n "$choices" ]]; then mapfile -t COMPREPLY < <(compgen -W "$choices" -- "$cur"); else mapfile -t COMPREPLY < <(compgen -f -- "$cur"); fi
    return 0
  fi
  if [[ "$cur" == -* ]]; then
    mapfile -t COMPREPLY < <(compgen -W "$(_${root.name}_options "$path")" -- "$cur")
  else
    mapfile -t COMPREPLY < <(compgen -W "$(_${root.name}_subcommands "$path") $(_${root.name}_choices "$path")" -- "$cur")
  fi
  return 0
}
complete -o default -F ${fn} ${root.name}
`;
}

export function renderZsh(root: CommandSpec): string {
  const nodes = walk(root);
  const p = root.name;
  const entries = (items: Array<[string, string]>): string => items.map(([name, desc]) => sq(`${name.replace(/:/g, "\\:")}:${oneLine(desc)}`)).join(" ");
  const cases = (pick: (n: Node) => string): string => nodes.map((n) => `    ${sq(n.path)}) ${pick(n)} ;;`).join("\n");
  return `#compdef ${p}
# ${p} completion for zsh. Load it with: source <(${p} completion zsh)
# or install it: ${p} completion zsh > "\${fpath[1]}/_${p}" (then restart the shell)
_${p}() {
  local -a cmdpath subs opts values choices
  local i w key
  for (( i = 2; i < CURRENT; i++ )); do
    w=\${words[i]}
    key=\${(j: :)cmdpath}
    if [[ $w == -* ]]; then
      _${p}_spec "$key"
      (( \${values[(Ie)$w]} )) && (( i++ ))
      continue
    fi
    _${p}_spec "$key"
    [[ -n \${subs[(r)\${w}:*]} ]] && cmdpath+=($w)
  done
  key=\${(j: :)cmdpath}
  _${p}_spec "$key"
  if (( CURRENT > 2 )) && (( \${values[(Ie)\${words[CURRENT-1]}]} )); then
    choices=(); _${p}_option_choices "$key \${words[CURRENT-1]}"
    if (( \${#choices} )); then compadd -a choices; else _files; fi
    return
  fi
  if [[ \${words[CURRENT]} == -* ]]; then
    _describe -t options option opts
  else
    (( \${#subs} )) && _describe -t commands command subs
    (( \${#choices} )) && compadd -a choices
  fi
}
_${p}_spec() {
  subs=(); opts=(); values=(); choices=()
  case "$1" in
${cases((n) => [
  `subs=(${entries(n.spec.commands.map((c) => [c.name, c.description]))})`,
  `opts=(${entries([...n.spec.options.flatMap((o) => flagsOf(o).map((f): [string, string] => [f, o.description])), ["--help", "show help"]])})`,
  `values=(${n.spec.options.filter((o) => o.takesValue).flatMap(flagsOf).map(sq).join(" ")})`,
  `choices=(${n.spec.argChoices.map(sq).join(" ")})`,
].join("; "))}
  esac
}
_${p}_option_choices() {
  case "$1" in
${nodes.flatMap((n) => n.spec.options.filter((o) => o.choices?.length).flatMap((o) => flagsOf(o).map((f) => `    ${sq(`${n.path} ${f}`)}) choices=(${o.choices!.map(sq).join(" ")}) ;;`))).join("\n")}
  esac
}
compdef _${p} ${p}
`;
}

export function renderFish(root: CommandSpec): string {
  const nodes = walk(root);
  const p = root.name;
  const lines: string[] = [
    `# ${p} completion for fish. Load it with: ${p} completion fish | source`,
    `# or install it: ${p} completion fish > ~/.config/fish/completions/${p}.fish`,
    `function __${p}_subcommands`,
    "    switch \"$argv[1]\"",
    ...nodes.filter((n) => n.spec.commands.length > 0).map((n) => `        case ${fishQuote(n.path)}\n            printf '%s\\n' ${n.spec.commands.map((c) => fishQuote(c.name)).join(" ")}`),
    "    end",
    "end",
    `function __${p}_path --description 'the ${p} command path typed so far'`,
    "    set -l path ''",
    "    set -l words (commandline -opc)",
    "    set -e words[1]",
    "    for w in $words",
    "        string match -q -- '-*' $w; and continue",
    `        if contains -- $w (__${p}_subcommands "$path")`,
    "            if test -z \"$path\"; set path $w; else; set path \"$path $w\"; end",
    "        end",
    "    end",
    "    echo $path",
    "end",
    `function __${p}_at --description 'true when the command path typed so far is $argv[1]'`,
    `    test "x"(__${p}_path) = "x$argv[1]"`,
    "end",
    `complete -c ${p} -f`,
  ];
  for (const n of nodes) {
    const at = `-n ${fishQuote(`__${p}_at ${fishQuote(n.path)}`)}`;
    for (const c of n.spec.commands) lines.push(`complete -c ${p} ${at} -a ${fishQuote(c.name)} -d ${fishQuote(oneLine(c.description))}`);
    if (n.spec.argChoices.length > 0) lines.push(`complete -c ${p} ${at} -a ${fishQuote(n.spec.argChoices.join(" "))}`);
    for (const o of n.spec.options) {
      const flags = [o.short ? `-s ${o.short.slice(1)}` : "", o.long ? `-l ${o.long.slice(2)}` : ""].filter(Boolean).join(" ");
      const value = o.choices?.length ? ` -x -a ${fishQuote(o.choices.join(" "))}` : o.takesValue ? " -r -F" : "";
      lines.push(`complete -c ${p} ${at} ${flags}${value} -d ${fishQuote(oneLine(o.description))}`);
    }
    lines.push(`complete -c ${p} ${at} -s h -l help -d 'show help'`);
  }
  return `${lines.join("\n")}\n`;
}
