// The shape of a course exercise and of a check's verdict. An exercise knows its text (goal, task,
// what counts as done), its progressive hints, how to judge an answer against the live platform
// (`analisar` computes the reference at check time, never a constant) and its catalogue of
// typical mistakes, each a recogniser plus a pt-BR explanation that teaches.

/** The kinds of exercise the course mixes on purpose. */
export const TIPOS = ["sql", "construir", "ferramenta", "quebrar-e-consertar", "prever"] as const;
export type Tipo = (typeof TIPOS)[number];

/** What a kind means to the student, for the exercise header. */
export const DESCRICAO_DO_TIPO: Record<Tipo, string> = {
  sql: "escreva SQL",
  construir: "construa algo que fica",
  ferramenta: "use uma ferramenta de verdade",
  "quebrar-e-consertar": "quebre e conserte",
  prever: "preveja, depois rode",
};

/** A typical mistake: recognised in the analysis of an answer, explained in pt-BR. */
export interface ErroTipico<A> {
  /** Stable code of the mistake (tests and progress refer to it). */
  codigo: string;
  reconhece: (analise: A) => boolean;
  explicar: (analise: A) => string;
}

/**
 * One exercise. `R` is the answer the student writes in the answer cell (SQL text, a number, a
 * path…); `A` is what `analisar` learned from that answer and from the live platform.
 */
export interface Exercicio<R = unknown, A = unknown> {
  /** "<lesson>.<n>", e.g. "01.3". */
  id: string;
  /** The lesson's number, e.g. "01". */
  aula: string;
  tipo: Tipo;
  titulo: string;
  objetivo: string;
  tarefa: string;
  /** What counts as done. */
  pronto: string;
  /** Progressive hints, from a nudge to nearly the answer. */
  dicas: readonly string[];
  /** True when the answer cell still holds the stub. */
  semResposta: (resposta: R | undefined) => boolean;
  /** Judges the answer against the live platform (reference computed now). */
  analisar: (resposta: R) => Promise<A>;
  correto: (analise: A) => boolean;
  /** What the student sees when the answer is right (may cite the live numbers). */
  parabens: (analise: A) => string;
  errosTipicos: readonly ErroTipico<A>[];
  /** A wrong answer no catalogued mistake explains: still says what differs and what to look at. */
  mensagemGenerica: (analise: A) => string;
}

/** An exercise whose answer and analysis types no longer matter (the catalogue holds many). */
// biome-ignore lint/suspicious/noExplicitAny: a heterogeneous catalogue; each entry is typed where it is written
export type QualquerExercicio = Exercicio<any, any>;

export type Situacao = "ok" | "pendente" | "erro-conhecido" | "erro";

/** The verdict of one check. */
export interface Resultado {
  exercicio: string;
  titulo: string;
  situacao: Situacao;
  /** The message that teaches (pt-BR). */
  mensagem: string;
  /** Code of the catalogued mistake, when `situacao` is "erro-conhecido". */
  erro?: string;
  /** Attempts recorded so far for this exercise, this one included (undefined when pending). */
  tentativas?: number;
}

export const AINDA_NAO_RESPONDIDO = "ainda não respondido";

/** The environment variable `./liga curso` sets so that answer cells take the solutions. */
export const VARIAVEL_SOLUCOES = "LIGA_CURSO_SOLUCOES";

/** A solution, kept apart from the student's notebook (lib/exercicios/solucoes/). */
export interface Solucao<R = unknown> {
  /** What the student would write, shown by `solucao(id)` after an attempt. */
  codigo: string;
  /** Why it works (pt-BR). */
  explicacao: string;
  /** The answer value the course run puts in the answer cell (may run a tool, e.g. psql). */
  obter: () => R;
}
