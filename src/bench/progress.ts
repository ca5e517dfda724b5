/** Progress: one live line on a TTY (instance i/n, model, test, live tok/s, ETA), plain lines otherwise. */
export class Progress {
  private readonly tty: boolean;
  private readonly t0 = Date.now();
  private done = 0;
  private live = "";
  constructor(
    private readonly total: number,
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {
    this.tty = !!out.isTTY && !process.env.CI;
  }
  private eta(): string {
    if (this.done === 0) return "ETA ?";
    const per = (Date.now() - this.t0) / this.done;
    const s = Math.round((per * (this.total - this.done)) / 1000);
    return `ETA ${s >= 60 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s` : `${s}s`}`;
  }
  update(label: string, phase: string, tokPerSec: number): void {
    if (!this.tty) return;
    this.live = `[${this.done + 1}/${this.total}] ${label} ${phase} ${tokPerSec.toFixed(1)} tok/s  ${this.eta()}`;
    this.out.write(`\r\x1b[2K${this.live}`);
  }
  finish(line: string): void {
    this.done++;
    if (this.tty) this.out.write(`\r\x1b[2K`);
    this.out.write(`[${this.done}/${this.total}] ${line}\n`);
  }
  note(line: string): void {
    if (this.tty) this.out.write(`\r\x1b[2K`);
    this.out.write(`${line}\n`);
  }
}
