// The shape check of an incoming Bot API Update (webhook body or getUpdates entry): a zod schema of every field
// telegram-inbound.ts reads, so a wrongly shaped update is reported and skipped instead of crashing the mapping.
// Fields the mapping does not read are let through unchecked.
import type { Update } from "grammy/types";
import { z } from "zod";

const user = z.object({
  id: z.number(),
  is_bot: z.boolean(),
  first_name: z.string(),
  last_name: z.string().optional(),
  username: z.string().optional(),
});

const chat = z.object({ id: z.number(), type: z.string(), title: z.string().optional() });

const entity = z
  .object({ type: z.string(), offset: z.number().int().nonnegative(), length: z.number().int().nonnegative(), user: user.optional() })
  .refine((e) => e.type !== "text_mention" || e.user !== undefined, { message: "a text_mention entity needs a user", path: ["user"] });

const file = { file_id: z.string(), file_size: z.number().optional(), mime_type: z.string().optional(), file_name: z.string().optional() };

const message = z.object({
  message_id: z.number().int(),
  date: z.number(),
  chat,
  from: user.optional(),
  sender_chat: chat.optional(),
  text: z.string().optional(),
  caption: z.string().optional(),
  entities: z.array(entity).optional(),
  caption_entities: z.array(entity).optional(),
  is_topic_message: z.boolean().optional(),
  message_thread_id: z.number().int().optional(),
  reply_to_message: z
    .object({
      message_id: z.number().int(),
      from: user.optional(),
      text: z.string().optional(),
      caption: z.string().optional(),
      forum_topic_created: z.unknown().optional(),
    })
    .optional(),
  photo: z.array(z.object({ file_id: z.string(), width: z.number(), height: z.number(), file_size: z.number().optional() })).optional(),
  voice: z.object(file).optional(),
  audio: z.object(file).optional(),
  video: z.object(file).optional(),
  animation: z.object(file).optional(),
  video_note: z.object(file).optional(),
  document: z.object(file).optional(),
});

const updateSchema = z.object({ update_id: z.number().int(), message: message.optional() });

export type UpdateCheck = { ok: true; update: Update } | { ok: false; problem: string };

/** Checks one update against what the mapping reads. The problem names the field and what was expected, never the
 * content (`message.chat: expected object, received undefined`). */
export function parseUpdate(body: unknown): UpdateCheck {
  const result = updateSchema.safeParse(body);
  // The schema covers every field toInbound reads; the original object goes on, with fields it did not check.
  if (result.success) return { ok: true, update: body as Update };
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? `${issue.path.join(".")}: ` : "";
  return { ok: false, problem: `not a Telegram Update: ${where}${issue?.message ?? "invalid"}` };
}
