// The table operations, one module each (as delta-rs has one per operation): each one is a Delta
// transaction that writes its data files first and then commits one version adding and removing
// them. TabelaDelta (../tabela.ts) is the front that hands them its context.
export { anexar } from "./anexar";
export { atualizar, type ValorOuFuncao } from "./atualizar";
export { type Contexto, type ResultadoEscrita, linhasDoArquivo } from "./comum";
export { type EsquemaSimples, type OpcoesCriacao, criar } from "./criar";
export { excluir } from "./excluir";
export { type EntradaHistorico, historico } from "./historico";
export { type OpcoesMesclagem, type ResultadoMesclagem, mesclar } from "./mesclar";
export { type OpcoesOtimizacao, otimizar } from "./otimizar";
export { restaurar } from "./restaurar";
export { sobrescrever } from "./sobrescrever";
export { type OpcoesVacuum, type ResultadoVacuum, vacuum } from "./vacuum";
