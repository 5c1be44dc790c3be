#ifndef VEILLE_ENRICHER_EVAL_H
#define VEILLE_ENRICHER_EVAL_H
/*
 * Scoring the tagger against gold mentions (bench/enricher/eval.c is the
 * command-line tool; the unit tests check the scorer on tiny cases).
 *
 *   - mentions: exact span (code points) and type, per type, per language
 *     and overall: precision, recall, F1;
 *   - linking: of the predicted mentions that carry a Wikidata id and sit
 *     on a gold span whose gold id is known, how many have that id.
 *
 * Also the readers that turn the gold files into documents: the seeds'
 * JSON lines, and CoNLL-like token files (IOB1 or IOB2, HIPE TSV) whose
 * text is rebuilt from the tokens with spaces, offsets kept.
 */
#include <stdint.h>
#include <stdio.h>
#include <stddef.h>

/** One mention: [start, end) in code points, type 0..2 (enum
 * enricher_type), qid "" when none. */
struct enricher_span {
        uint32_t start, end;
        int type;
        char qid[16];
};

#define ENRICHER_EVAL_TYPES 3
#define ENRICHER_EVAL_LANGS 8

struct enricher_prf {
        uint64_t tp, fp, fn;
};

struct enricher_eval {
        char lang[ENRICHER_EVAL_LANGS][8]; /* language codes seen */
        size_t nlang;
        struct enricher_prf by[ENRICHER_EVAL_LANGS][ENRICHER_EVAL_TYPES];
        uint64_t docs;
        uint64_t link_judged; /* linked, on a gold span with a gold qid */
        uint64_t link_ok;     /* ... and the same qid */
        uint64_t link_nogold; /* linked, on a gold span without gold qid */
        uint64_t link_nospan; /* linked, on a span that is not gold */
        uint64_t gold_qid;    /* gold mentions with a qid */
};

/** What a callback of enricher_eval_doc() is told about. */
enum enricher_eval_err {
        ENRICHER_EVAL_FP,        /* predicted, not gold (span or type) */
        ENRICHER_EVAL_FN,        /* gold, not predicted */
        ENRICHER_EVAL_LINK_BAD,  /* linked to another qid than the gold */
};

typedef void enricher_eval_cb(void *ctx, enum enricher_eval_err kind,
                              const struct enricher_span *s,
                              const char *gold_qid);

void enricher_eval_init(struct enricher_eval *ev);
/**
 * @brief Score one document. Both arrays are sorted in place. Spans whose
 * type is out of range are ignored. @p cb (may be NULL) hears about each
 * error. Languages beyond ENRICHER_EVAL_LANGS are counted as the last one.
 */
void enricher_eval_doc(struct enricher_eval *ev, const char *lang,
                       struct enricher_span *gold, size_t ng,
                       struct enricher_span *pred, size_t np,
                       enricher_eval_cb *cb, void *ctx);
/** @returns counts summed over language @p lang (-1: all) and type
 * @p type (-1: all). */
struct enricher_prf enricher_eval_sum(const struct enricher_eval *ev,
                                      int lang, int type);
double enricher_prf_precision(struct enricher_prf c);
double enricher_prf_recall(struct enricher_prf c);
double enricher_prf_f1(struct enricher_prf c);
/** @brief The report: a table per type, per language and overall, then
 * the linking figures. */
void enricher_eval_print(const struct enricher_eval *ev, FILE *f);

/* ---- gold documents ----------------------------------------------------- */

struct enricher_eval_docu {
        char *name;
        char *text; /* UTF-8, NUL-terminated */
        size_t len, cap;
        uint32_t ncp; /* code points in text */
        char lang[8];
        struct enricher_span *gold;
        size_t ng, capg;
};

void enricher_eval_docu_clear(struct enricher_eval_docu *d);
void enricher_eval_docu_release(struct enricher_eval_docu *d);

/** @returns type index for "PER"/"pers", "ORG"/"org", "LOC"/"loc" (any
 * case), -1 for anything else (MISC, prod, time...). */
int enricher_eval_type(const char *s, size_t n);

enum enricher_conll_format {
        ENRICHER_CONLL_IOB,  /* "token TAG" or "idx token TAG" lines */
        ENRICHER_CONLL_HIPE, /* HIPE-2022 TSV */
};

/** Called for each document read; @p d is reused afterwards. */
typedef void enricher_eval_doc_cb(void *ctx, struct enricher_eval_docu *d);

/**
 * @brief Read a CoNLL-like corpus from @p data. Text is rebuilt from the
 * tokens: one space between tokens (none after a HIPE NoSpaceAfter), a
 * newline between sentences (blank line, or index 0 in the "idx token TAG"
 * form). Tags are IOB1 or IOB2 (a B- tag, or an I- tag after O or another
 * type, starts a mention); types other than PER/ORG/LOC are dropped.
 * Documents end at "-DOCSTART-" or a HIPE document_id comment, and in any
 * case at the first sentence end (or, without sentences, the first O
 * token) after @p doc_tokens tokens. Each gets @p lang and a name
 * "<prefix>#<n>".
 * @returns the number of documents.
 */
size_t enricher_eval_read_conll(const char *data, size_t len,
                                enum enricher_conll_format fmt,
                                size_t doc_tokens, const char *lang,
                                const char *prefix,
                                enricher_eval_doc_cb *cb, void *ctx);

#endif
