// Every solution, by exercise id. Never imported by a student notebook directly: lib/exercicios
// reads it for solucao(id) (after an attempt) and for resposta(id, …) in the course run.
import type { Solucao } from "../tipos";
import { solucoesAula00 } from "./aula00";
import { solucoesAula01 } from "./aula01";

export const SOLUCOES: Record<string, Solucao> = { ...solucoesAula00, ...solucoesAula01 };
