#ifndef VEILLE_SINK_H
#define VEILLE_SINK_H
/* veille-sink: enriched events in, watch topics and a JSONL file out.
 *
 * Modules: sink.c (the stage: config keys, init, process, reload),
 * watch.c (the watches file and the matcher), jsonl.c (the append-only
 * file). Terms and names are compared in lib's vl_text_fold() form. */
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "veille/err.h"
#include "veille/out.h"
#include "veille/stage.h"
#include "veille/metrics.h"

#define SINK_WATCH_NAME_MAX 128 /* keeps "<prefix><name>" a legal topic */
#define SINK_WATCHES_MAX_BYTES (16u << 20)
#define SINK_EVENT_SCHEMA "veille.enriched.v1"
#define SINK_MATCH_SCHEMA "veille.watch.v1"
#define SINK_MATCH_CE_TYPE "org.veille.watch.match.v1"

/* ---- configuration (sink.c) ---- */

/** The daemon's own keys (sink_keys); strings are owned by vl_conf. */
struct sink_conf {
        char *watches;      /* sink.watches: path, NULL or "" = none */
        char *watch_prefix; /* sink.watch.prefix: "veille.watch." */
        char *file;         /* sink.file: JSONL path, NULL or "" = off */
};

extern const struct vl_conf_key sink_keys[];

/* ---- the stage (sink.c); the runner calls these on its main thread ---- */

/** @brief Load the watches and open the JSONL file named in @p conf (a
 * struct sink_conf, borrowed for the life of the state). @p m may be NULL
 * (tests). @returns VL_OK, VL_REJECT (exit 2) with err naming the file and
 * line at fault for a bad configuration, or VL_FATAL on an I/O error. */
enum vl_rc sink_init(void **state, const struct vl_stage_conf *sc,
                     void *conf, struct vl_metrics *m, struct vl_err *err);

/** @brief One enriched event: append it to the JSONL file (synced before
 * VL_OK is returned) and add one veille.watch.v1 record per matching watch
 * to @p out. @returns VL_REJECT for an input that is not a valid enriched
 * event, VL_RETRY when the file cannot be written or synced. */
enum vl_rc sink_process(void *state, const struct vl_in *in,
                        struct vl_out *out, struct vl_err *err);

/** @brief SIGHUP: re-read the watches file and reopen the JSONL file (for
 * logrotate). On a bad watches file the old watches stay in force and the
 * error is returned (VL_REJECT) for the runner to log; the file is reopened
 * anyway (if that fails too, the old one is kept and that error logged). */
enum vl_rc sink_reload(void *state, struct vl_err *err);

/** @brief Close everything; NULL is a no-op. */
void sink_destroy(void *state);

/* ---- watches (watch.c) ---- */

enum sink_term_kind {
        SINK_TERM_TEXT, /* compared with an entity's name and mention texts */
        SINK_TERM_QID,  /* "Q965": compared with an entity's Wikidata id */
};

struct sink_term {
        char *text;   /* as written in the file, for the match record */
        char *folded; /* vl_text_fold(text); for a qid, "Q" and the digits */
        enum sink_term_kind kind;
};

struct sink_watch {
        char *name;
        struct sink_term *terms;
        int nterms;
        int line;                 /* where it was defined, for messages */
        bool suppress_duplicates; /* skip events with duplicate_of set */
};

/* One (term, watch) pair of the index, sorted by (kind, folded, watch,
 * term), so that an entity key finds every watch that names it with one
 * binary search whatever the number of watches. */
struct sink_posting {
        const char *folded; /* borrowed from the term */
        enum sink_term_kind kind;
        int watch;
        int term;
};

struct sink_watchset {
        char *origin; /* file name, or what the text came from */
        struct sink_watch *w;
        int n;
        struct sink_posting *idx;
        int nidx;
};

/* A term of a watch matched an entity of the event. */
struct sink_hit {
        int watch;
        int term;
        int entity; /* index in the event's "entities" array */
};

/* Per-event scratch, reused from one event to the next. */
struct sink_hits {
        struct sink_hit *v;
        int n;
        int cap;
};

/** @brief Parse watches text: one "name: Term, Term, Q965" per line, '#'
 * starts a comment, blank lines are skipped. @p origin names the text in
 * messages ("watches.conf:12: ..."). @returns new set, or NULL with err set
 * (VL_REJECT) naming origin and line. */
struct sink_watchset *sink_watchset_parse(const char *text, size_t len,
                                          const char *origin,
                                          struct vl_err *err);

/** @brief Read and parse a watches file. @returns new set, or NULL with err
 * set (VL_REJECT). */
struct sink_watchset *sink_watchset_load(const char *path, struct vl_err *err);

/** @returns a new empty set (no watches: nothing ever matches). */
struct sink_watchset *sink_watchset_new(const char *origin);

void sink_watchset_destroy(struct sink_watchset *ws);

/** @returns the index of watch @p name, or -1. */
int sink_watchset_find(const struct sink_watchset *ws, const char *name);

/**
 * @brief Match the entities of an event (borrowed "entities" array; NULL or
 * a non-array matches nothing) against every watch. An entity is named by
 * its "name", each mention's "text" (both folded) and its "qid".
 * @param hits reset, then filled sorted by (watch, term, entity) without
 * repeats.
 */
void sink_watchset_match(const struct sink_watchset *ws,
                         const json_t *entities, struct sink_hits *hits);

void sink_hits_release(struct sink_hits *hits);

/* ---- the JSONL file (jsonl.c) ---- */

struct sink_jsonl;

/** @brief Open @p path for appending (created 0644 if missing). A file that
 * ends in a torn line (a crash mid-write) first gets a "\n" so the next line
 * is whole. @returns new handle, or NULL with err set: VL_REJECT when the
 * path cannot be opened (configuration), VL_FATAL on an I/O error. */
struct sink_jsonl *sink_jsonl_open(const char *path, struct vl_err *err);

/** @brief Append @p ev compactly on one line, with a single write(2) on the
 * O_APPEND descriptor. A short write leaves a torn line; the next append
 * then starts with a "\n". @returns VL_OK or VL_RETRY (err set). */
enum vl_rc sink_jsonl_append(struct sink_jsonl *j, const json_t *ev,
                             struct vl_err *err);

/** @brief fdatasync what was appended (a no-op for a pipe or terminal).
 * @returns VL_OK or VL_RETRY (err set). */
enum vl_rc sink_jsonl_sync(struct sink_jsonl *j, struct vl_err *err);

const char *sink_jsonl_path(const struct sink_jsonl *j);

/** @brief Close; NULL is a no-op. */
void sink_jsonl_close(struct sink_jsonl *j);

#endif
