// The lakehouse build: raw (CDC + DW extracts) then trusted (current state, quality,
// pseudonymization). Incremental and rerunnable: every watermark lives in the tables, so a
// second build in a row finds nothing new and writes no version.
import { extrairDw, ingerirCdc, type OpcoesRaw, type ResultadoRawTabela } from "./raw";
import { promoverTrusted, type OpcoesTrusted, type ResultadoTrustedTabela } from "./trusted";

export * from "./comum";
export * from "./raw";
export * from "./trusted";

export interface OpcoesBuild extends OpcoesRaw, OpcoesTrusted {
  /** Layers to build (default all that exist: raw, trusted). */
  camadas?: ("raw" | "trusted")[];
}

export interface ResultadoBuild {
  rawCdc: ResultadoRawTabela[];
  rawDw: ResultadoRawTabela[];
  trusted: ResultadoTrustedTabela[];
  segundos: { raw: number; trusted: number; total: number };
}

export async function construirLakehouse(opcoes: OpcoesBuild = {}): Promise<ResultadoBuild> {
  const camadas = new Set(opcoes.camadas ?? ["raw", "trusted"]);
  const t0 = Date.now();
  const rawCdc = camadas.has("raw") && !opcoes.semCdc ? await ingerirCdc(opcoes) : [];
  const rawDw = camadas.has("raw") && !opcoes.semDw ? await extrairDw(opcoes) : [];
  const t1 = Date.now();
  const trusted = camadas.has("trusted") ? await promoverTrusted(opcoes) : [];
  const t2 = Date.now();
  return { rawCdc, rawDw, trusted, segundos: { raw: (t1 - t0) / 1000, trusted: (t2 - t1) / 1000, total: (t2 - t0) / 1000 } };
}
