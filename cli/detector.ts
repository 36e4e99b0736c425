// npm run detector -- [--duracao 30s] [--grupo liga-sudoers-detector] [--max-pendentes 100000] [--sem-tabela] [--atraso-commit 0ms]
import {
  ESPERA_MAXIMA_MS,
  executarDetector,
  GRUPO_PADRAO,
  MAX_PENDENTES_PADRAO,
  TOPICO_ALERTAS,
  type ProgressoDetector,
} from "../lib/detector";
import { aCada, duracao, ErroDeUso, executar, fmt, lerArgumentos, numero } from "./comum";

const USO = `Uso: npm run detector -- [--duracao 30s] [--grupo ${GRUPO_PADRAO}] [--max-pendentes ${MAX_PENDENTES_PADRAO}] [--sem-tabela]
                          [--atraso-commit 0ms]

Lê os eventos do Debezium (pedidos e auditoria_pedidos), aplica as duas regras de fraude a cada
pedido novo e publica um alerta por pedido suspeito no tópico ${TOPICO_ALERTAS} (e na tabela
deteccao.alertas, exceto com --sem-tabela). Sem --duracao, roda até Ctrl+C — que confirma os offsets
do que já foi alertado e desconecta; na próxima vez, o grupo --grupo continua de onde parou.
--atraso-commit espera entre publicar os alertas e confirmar os offsets: só para ver a reentrega
(pelo menos uma vez) acontecer ao matar o detector nessa janela.`;

/** Ctrl+C / SIGTERM: stop after the batch in progress (its alerts are sent and its offsets committed). */
function pararComSinal(): () => boolean {
  let parar = false;
  const aoSinal = (sinal: string) => {
    if (!parar) console.error(`\n${sinal} recebido: confirmando os offsets do que já foi alertado e desconectando…`);
    parar = true;
  };
  process.on("SIGINT", () => aoSinal("SIGINT"));
  process.on("SIGTERM", () => aoSinal("SIGTERM"));
  return () => parar;
}

const linha = (p: ProgressoDetector) =>
  `${fmt(p.eventos)} eventos, ${fmt(p.pedidosJulgados)} pedidos julgados, ${fmt(p.alertas)} alertas ` +
  `(dispositivo ${fmt(p.porRegra.dispositivo)}, local ${fmt(p.porRegra.local)}) — ${fmt(p.pendentes)} no buffer` +
  (p.ultimoAtrasoMs === null ? "" : `, último atraso ${fmt(p.ultimoAtrasoMs)} ms`);

executar(async () => {
  const a = lerArgumentos(
    {
      duracao: { type: "string" },
      grupo: { type: "string" },
      "max-pendentes": { type: "string" },
      "sem-tabela": { type: "boolean" },
      "atraso-commit": { type: "string" },
    },
    USO,
  );
  const duracaoMs = duracao("duracao", a.duracao);
  if (duracaoMs !== undefined && duracaoMs <= 0)
    throw new ErroDeUso(`--duracao inválido: "${a.duracao}". Esperado um tempo maior que zero.`);
  const maxPendentes = numero("max-pendentes", a["max-pendentes"], MAX_PENDENTES_PADRAO);
  const deveParar = pararComSinal();
  const r = await executarDetector({
    duracaoMs,
    ate: deveParar,
    grupo: a.grupo,
    maxPendentes,
    gravarTabela: !a["sem-tabela"],
    atrasoCommitMs: duracao("atraso-commit", a["atraso-commit"]),
    aoAtrasarCommit: (n) => console.log(`${fmt(n)} alertas publicados; os offsets só serão confirmados depois do atraso.`),
    aoIniciar: (i) =>
      console.log(
        `Detector pronto (grupo ${i.grupo}${i.grupoNovo ? ", novo: começa no fim dos tópicos" : ", continua do último commit"}): ` +
          `estado inicial com ${fmt(i.pessoas)} pessoas e ${fmt(i.pedidos)} pedidos. Alertas em ${TOPICO_ALERTAS}.`,
      ),
    aoProgredir: aCada<ProgressoDetector>(2000, (p) => console.log(linha(p))),
  });
  console.log(
    `Detector encerrado: ${linha(r)}` +
      (r.faixa ? `; pedidos julgados de ${r.faixa.de} a ${r.faixa.ate}` : "") +
      (r.descartados ? `; ${fmt(r.descartados)} descartados por falta de espaço no buffer` : "") +
      (r.julgadosPorTempo
        ? `; ${fmt(r.julgadosPorTempo)} julgados por tempo (algo anterior não chegou em ${ESPERA_MAXIMA_MS / 1000} s)`
        : "") +
      `. ${fmt(r.segundos, 1)} s.`,
  );
});
