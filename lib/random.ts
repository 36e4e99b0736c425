// Seeded pseudo-random numbers, so that `--seed` reproduces a run exactly. sfc32 is small,
// fast and passes PractRand; Math.random cannot be seeded.
export type Rng = () => number;

/** A uniform [0, 1) generator from a 32-bit seed (sfc32, seeded through splitmix32). */
export function criarRng(seed: number): Rng {
  let s = seed >>> 0;
  const splitmix = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();
  return () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t / 4294967296;
  };
}

/** A seed derived from a value (e.g. a person's id): stable traits without storing them. */
export function semente(...partes: (string | number)[]): number {
  let h = 0x811c9dc5;
  for (const ch of partes.join("|")) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Integer in [min, max], both inclusive. */
export function inteiro(rng: Rng, min: number, max: number): number {
  return min + Math.floor(rng() * (max - min + 1));
}

export function escolher<T>(rng: Rng, itens: readonly T[]): T {
  return itens[Math.floor(rng() * itens.length)];
}

/** Picks by weight; weights need not sum to 1. */
export function escolherPonderado<T>(rng: Rng, itens: readonly T[], pesos: readonly number[]): T {
  const total = pesos.reduce((s, p) => s + p, 0);
  let alvo = rng() * total;
  for (let i = 0; i < itens.length; i++) {
    alvo -= pesos[i];
    if (alvo < 0) return itens[i];
  }
  return itens[itens.length - 1];
}
