// lib/lake: Delta Lake tables on MinIO, written and read from TypeScript. The kit's own small
// implementation of the Delta transaction log protocol (reader 1 / writer 2), proven against
// delta-rs and Spark: open any file in <tabela>/_delta_log/ to see what a table is.
export { type OpcoesTabela, TabelaDelta, tabelaDelta } from "./tabela";
export type {
  EntradaHistorico,
  EsquemaSimples,
  OpcoesCriacao,
  OpcoesMesclagem,
  OpcoesOtimizacao,
  OpcoesVacuum,
  ResultadoEscrita,
  ResultadoMesclagem,
  ResultadoVacuum,
  ValorOuFuncao,
} from "./operacoes/index";
export type { OpcoesLeitura, ResultadoLeitura } from "./leitura";
export { type Condicao, type Linha, type Operador, type Predicado, statsDe } from "./condicoes";
export { type Dados, conformar } from "./conformar";
export { type Armazenamento, ArmazenamentoS3, type InfoObjeto, type LocalTabela, clienteMinio, removerPrefixo } from "./armazenamento";
export { ArmazenamentoMemoria } from "./memoria";
export { type AlvoLeitura, type Instantaneo, carregarInstantaneo } from "./instantaneo";
export { type ArquivoDoLog, PASTA_LOG, classificarArquivoDoLog, lerAcoes, listarLog, nomeCheckpoint, nomeCommit } from "./log";
export * from "./protocolo";
