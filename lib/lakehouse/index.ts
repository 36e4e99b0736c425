// The lakehouse build: raw (CDC + DW extracts), trusted (current state, quality,
// pseudonymization), then refined (analytics, behind a quality gate). Incremental and
// rerunnable: every watermark lives in the tables, so a second build in a row finds nothing new
// and writes no version. Notebooks import this file (tslab resolves no folder index), so it
// re-exports the public surface of every layer.
import { extrairDw, ingerirCdc, type OpcoesRaw, type ResultadoRawTabela } from "./raw";
import { construirRefined, type OpcoesRefined, type ResultadoRefined } from "./refined";
import { promoverTrusted, type OpcoesTrusted, type ResultadoTrustedTabela } from "./trusted";

export * from "./comum";
export * from "./raw";
export * from "./consultas";
export * from "./portao";
export * from "./refined";
export * from "./refined-tabelas";
export * from "./trusted";

export type CamadaBuild = "raw" | "trusted" | "refined";

export interface OpcoesBuild extends OpcoesRaw, OpcoesTrusted, OpcoesRefined {
  /** Layers to build (default all three). */
  camadas?: CamadaBuild[];
}

export interface ResultadoBuild {
  rawCdc: ResultadoRawTabela[];
  rawDw: ResultadoRawTabela[];
  trusted: ResultadoTrustedTabela[];
  refined?: ResultadoRefined;
  segundos: { raw: number; trusted: number; refined: number; total: number };
}

export async function construirLakehouse(opcoes: OpcoesBuild = {}): Promise<ResultadoBuild> {
  const camadas = new Set(opcoes.camadas ?? ["raw", "trusted", "refined"]);
  const t0 = Date.now();
  const rawCdc = camadas.has("raw") && !opcoes.semCdc ? await ingerirCdc(opcoes) : [];
  const rawDw = camadas.has("raw") && !opcoes.semDw ? await extrairDw(opcoes) : [];
  const t1 = Date.now();
  const trusted = camadas.has("trusted") ? await promoverTrusted(opcoes) : [];
  const t2 = Date.now();
  const refined = camadas.has("refined") ? await construirRefined(opcoes) : undefined;
  const t3 = Date.now();
  return {
    rawCdc,
    rawDw,
    trusted,
    ...(refined ? { refined } : {}),
    segundos: { raw: (t1 - t0) / 1000, trusted: (t2 - t1) / 1000, refined: (t3 - t2) / 1000, total: (t3 - t0) / 1000 },
  };
}
