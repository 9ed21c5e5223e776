// Types for qrcode-terminal (it ships none): renders a QR code as text for the terminal.
declare module "qrcode-terminal" {
  const qrcode: { generate(text: string, opts: { small: boolean }, cb: (qr: string) => void): void };
  export default qrcode;
}
