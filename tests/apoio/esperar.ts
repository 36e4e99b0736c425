// Waiting for what happens elsewhere (another process, the connector, a consumer catching up):
// poll until a condition holds or a deadline passes, then fail saying what was last seen —
// never a fixed sleep that is too short on a busy machine and too long on an idle one.

export const pausa = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface OpcoesEspera<T> {
  /** What is being waited for, for the failure message. */
  descricao: string;
  timeoutMs: number;
  /** Between two probes (default 200 ms). */
  intervaloMs?: number;
  /** The last value, for the failure message. */
  descrever?: (valor: T) => string;
}

/** Probes until `pronto(valor)`; returns that value, or throws once `timeoutMs` has passed. */
export async function esperarAte<T>(sondar: () => T | Promise<T>, pronto: (valor: T) => boolean, o: OpcoesEspera<T>): Promise<T> {
  const prazo = Date.now() + o.timeoutMs;
  for (;;) {
    const valor = await sondar();
    if (pronto(valor)) return valor;
    if (Date.now() >= prazo)
      throw new Error(
        `Timed out after ${o.timeoutMs} ms waiting for ${o.descricao}${o.descrever ? `; last seen: ${o.descrever(valor)}` : ""}`,
      );
    await pausa(o.intervaloMs ?? 200);
  }
}
