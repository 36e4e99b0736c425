// Change data capture of the OLTP with Debezium: prepares PostgreSQL (publication, replication
// user, replica identity), registers the connector through Kafka Connect's REST API, and reads
// the change events back from Kafka with kafkajs — everything notebook 04, the real-time fraud
// detector and the lakehouse's raw layer need. This file is the public API; one module per job:
//
//   definicao.ts    the connector and the captured tables, as versioned in debezium-init/
//   postgres.ts     the PostgreSQL side: publication, replication user, replica identity, slot
//   connect.ts      the HTTP transport to Kafka Connect's REST API
//   conector.ts     the connector's lifecycle: register, status, wait for RUNNING, restart, remove
//   diagnostico.ts  a failed connector made readable: trace summary and a pt-BR hint
//   snapshot.ts     waiting for the initial snapshot to reach Kafka
//   eventos.ts      Debezium's envelopes and the one decoder (events, keys, markers, tombstones)
//   kafka.ts        the kafkajs client, and an unreachable broker as ErroServicoFora
//   topicos.ts      topic names, offsets, listing, creating, waiting for a publication
//   leitura.ts      bounded readers: lerEmLotes (streaming, per batch), lerFaixa, lerDesde, ultimasMensagens
//   grupos.ts       long-running group consumers (at-least-once) and bounded tails
//
// Notebooks load it through tslab, which resolves "./lib/cdc/index" but not the bare folder.
export { CONECTOR, TABELAS_CAPTURADAS, definicaoConector, type DefinicaoConector } from "./definicao";
export { descartarSlot, estadoCaptura, prepararCaptura, type EstadoCaptura } from "./postgres";
export {
  esperarRodando,
  registrarConector,
  reiniciarConector,
  removerConector,
  statusConector,
  type OpcoesRegistro,
  type StatusConector,
} from "./conector";
export { resumoDoTrace } from "./diagnostico";
export { esperarSnapshot, type ProgressoSnapshot } from "./snapshot";
export {
  decodificar,
  decodificarChave,
  decodificarTransacao,
  linhaDoEvento,
  resumoDoEvento,
  type EventoCdc,
  type EventoTransacao,
  type Operacao,
} from "./eventos";
export { clienteKafka, conectar } from "./kafka";
export {
  esperarPublicacao,
  listarTopicos,
  posicoesFinais,
  posicoesIniciais,
  topicoDaTabela,
  topicoDeTransacoes,
  topicosExistentes,
  type Posicoes,
} from "./topicos";
export {
  lerDesde,
  lerEmLotes,
  lerFaixa,
  ultimasMensagens,
  type AoLerLote,
  type LoteKafka,
  type MensagemCdc,
  type OpcoesLerEmLotes,
  type ResultadoLerEmLotes,
} from "./leitura";
export { acompanhar, consumirEmGrupo, type ConsumidorCdc, type OpcoesConsumidor } from "./grupos";
