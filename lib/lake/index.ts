// lib/lake: Delta Lake tables on MinIO, written and read from TypeScript. The kit's own small
// implementation of the Delta transaction log protocol (reader 1 / writer 2), proven against
// delta-rs and Spark: open any file in <tabela>/_delta_log/ to see what a table is.
export { TabelaDelta, tabelaDelta } from "./tabela";
export type {
  EntradaHistorico,
  EsquemaSimples,
  OpcoesCriacao,
  OpcoesTabela,
  ResultadoEscrita,
  ResultadoMesclagem,
  ResultadoVacuum,
} from "./tabela";
export type { OpcoesLeitura, ResultadoLeitura } from "./leitura";
export { type Condicao, type Linha, type Operador, type Predicado, statsDe } from "./condicoes";
export { type Dados, conformar } from "./colunas";
export { type Armazenamento, ArmazenamentoS3, type InfoObjeto, type LocalTabela, clienteMinio, removerPrefixo } from "./armazenamento";
export { type Instantaneo, carregarInstantaneo, lerAcoes, listarLog } from "./log";
export * from "./protocolo";
