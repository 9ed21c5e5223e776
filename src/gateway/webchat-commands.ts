// Chat commands (/status, /new, /model …) sent over /ws: parsed and run by the same code as on the chat channels
// (routing/ingress/chat-commands.ts), with the connected client as the session's owner — it holds the gateway token.
import type { InboundMessage } from "../core/inbound.ts";
import { parseSessionKey } from "../core/ids.ts";
import { listKnownModels, parseCommand, runCommand } from "../routing/ingress/chat-commands.ts";
import type { GatewayContext } from "./gateway-context.ts";

/** Access settings of the WebChat "account": the connected client owns every session it talks to. */
/**
 * Runs `text` as a chat command for a /ws client on `sessionKey`; undefined when it is not one (unknown `/x` included,
 * as on the channels). Contract: never calls a model itself (/compact sends a run of the session).
 */
export async function runWebChatCommand(
  ctx: GatewayContext,
  req: { client: string; sessionKey: string; agentId: string; text: string; now: number },
): Promise<{ command: string; reply: string } | undefined> {
  const command = parseCommand(req.text);
  if (!command) return undefined;
  const peer = parseSessionKey(req.sessionKey);
  const msg: InboundMessage = {
    channel: "webchat", account: req.client, messageId: `cmd-${req.now}`, chat: { kind: peer?.kind === "group" ? "group" : "dm", id: peer?.peerId ?? req.client },
    sender: { id: req.client, isBot: false }, text: req.text, mentioned: true, media: [], at: req.now,
  };
  await ctx.store.sessions.ensure({ key: req.sessionKey, agentId: req.agentId, channel: peer?.channel ?? "webchat" });
  const reply = await runCommand(command, {
    msg, sessionKey: req.sessionKey, agentId: req.agentId, owner: true, config: ctx.config, // a /ws client holds the gateway token or a UI session: the operator
    dmScope: ctx.config.session.dm_scope, store: ctx.store, dispatcher: ctx.dispatcher,
    knownModels: () => listKnownModels(ctx.config), isUsableModel: (ref) => ctx.isUsableModel?.(ref) ?? listKnownModels(ctx.config).includes(ref),
    approvals: ctx.approvals?.(), actor: "operator:ui",
  });
  return { command: command.name, reply };
}
