// Public entry of the WhatsApp adapter (loaded lazily by the channel registry).
export { createWhatsappChannel, WhatsappChannel } from "./whatsapp-channel.ts";
export type { DownloadMedia, WhatsappChannelOptions } from "./whatsapp-channel.ts";
export type { MakeSocket, MakeSocketOptions, WhatsappSocket } from "./whatsapp-socket.ts";
