#ifndef VEILLE_SINK_H
#define VEILLE_SINK_H
/* veille-sink: enriched events in, watch topics, webhooks and a JSONL file
 * out.
 *
 * Modules: sink.c (the stage: config keys, init, process, reload),
 * watch.c (the watches file and the matcher), webhook.c (the POSTs, on a
 * thread of their own), jsonl.c (the append-only file). Terms and names are
 * compared in lib's vl_text_fold() form. */
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "veille/buf.h"
#include "veille/err.h"
#include "veille/jscan.h"
#include "veille/out.h"
#include "veille/stage.h"
#include "veille/metrics.h"
#include "veille/ticket.h"

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
        int64_t file_max_bytes; /* sink.file.max.bytes: 0 = no rotation */
        int64_t file_max_age;   /* sink.file.max.age: seconds, 0 = none */
        /* sink.webhook.*: see sink_keys */
        int64_t hook_timeout_ms;
        int64_t hook_retries;
        int64_t hook_backoff_ms;
        int64_t hook_backoff_max_ms;
        int64_t hook_max_pending;
        bool hook_allow_private;
        char *hook_secret;
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

/** @brief Read every input with jansson (@p on), as the sink does anyway
 * when it writes the JSONL file, instead of scanning it (sink_event_scan):
 * for the tests and the benchmark, which compare the two. */
void sink_use_tree(void *state, bool on);

/** @brief SIGHUP: re-read the watches file and reopen the JSONL file (for
 * logrotate). On a bad watches file the old watches stay in force and the
 * error is returned (VL_REJECT) for the runner to log; the file is reopened
 * anyway (if that fails too, the old one is kept and that error logged). */
enum vl_rc sink_reload(void *state, struct vl_err *err);

/** @brief Close everything; NULL is a no-op. */
void sink_destroy(void *state);

/* ---- the event (event.c): what the sink reads of an enriched event ---- */

/* A JSON value's type, as far as the checks tell them apart. */
enum sink_jt {
        SINK_J_ABSENT,
        SINK_J_NULL,
        SINK_J_STRING,
        SINK_J_ARRAY,
        SINK_J_OBJECT,
        SINK_J_OTHER,
};

/* A mention: its text, and its "start", "end" and "in" as JSON text (for
 * the match record) at span[k] bytes from sink_event.spans, spanlen[k] 0 if
 * absent. */
struct sink_ement {
        enum sink_jt jt, text_jt;
        const char *text; /* NULL unless a string */
        size_t span[3], spanlen[3];
};

struct sink_eent {
        enum sink_jt jt, qid_jt, ments_jt;
        const char *type, *name, *qid; /* NULL unless strings */
        bool has_salience;             /* a number */
        double salience;
        int ment0, nments; /* in sink_event.ments */
};

/* Strings are NUL-terminated, NULL when absent or not strings; they point
 * into the event's own copy of the input, or into the jansson tree it was
 * read from (sink_event_from_json). */
struct sink_event {
        bool object;
        const char *schema, *id, *lang, *site, *source, *published_at;
        const char *title, *text;
        enum sink_jt dup, ents_jt;
        struct sink_eent *ents;
        int nents, capents;
        struct sink_ement *ments;
        int nments, capments;
        const char *spans;
        struct vl_buf buf; /* the input's copy, or the spans written out */
        struct vl_jobj jo, jents, jent, jments, jment; /* scratch */
};

enum sink_scan {
        SINK_SCAN_OK,     /* read */
        SINK_SCAN_REJECT, /* not JSON: err set */
        SINK_SCAN_TREE,   /* valid JSON, but ask jansson (see event.c) */
};

/** @brief Read the enriched event @p s (@p n bytes) without a jansson tree
 * into @p e (reused). @returns SINK_SCAN_OK; SINK_SCAN_REJECT with err set
 * as for the jansson path; or SINK_SCAN_TREE when only jansson can tell how
 * it reads the input (a nested duplicate key, a huge number, a real or a
 * container as a mention's start, end or in...). */
enum sink_scan sink_event_scan(struct sink_event *e, const char *s, size_t n,
                               struct vl_err *err);

/** @brief The same, from a jansson tree (borrowed for the life of @p e's
 * content). */
void sink_event_from_json(struct sink_event *e, const json_t *ev);

/** @brief What the sink relies on (schema, id, duplicate_of, entities and
 * their mentions). @returns VL_OK or VL_REJECT with err set. */
enum vl_rc sink_event_check(const struct sink_event *e, struct vl_err *err);

/** @brief Append span value @p v (@p n bytes of JSON text) as the match
 * record writes it: strings re-escaped, integers as jansson prints them. */
void sink_put_span(struct vl_buf *b, const char *v, size_t n,
                   struct vl_buf *scratch);

void sink_event_release(struct sink_event *e);

/* ---- watches (watch.c); the language is described in docs/watches.md ---- */

enum sink_node_kind {
        SINK_N_AND,    /* every kid */
        SINK_N_OR,     /* any kid */
        SINK_N_NOT,    /* kids[0] does not hold */
        SINK_N_TRUE,   /* a watch option ("duplicates:yes"): always holds */
        SINK_N_ENTITY, /* an entity by qid, name or mention text */
        SINK_N_TYPE,   /* an entity of a type (PER, ORG, LOC) */
        SINK_N_TERM,   /* a word or phrase in the title and/or the text */
        SINK_N_LANG,
        SINK_N_SOURCE,
        SINK_N_SITE,
        SINK_N_WITHIN, /* published at most N seconds ago */
};

enum sink_where { SINK_IN_ANY, SINK_IN_TITLE, SINK_IN_TEXT };

struct sink_node {
        enum sink_node_kind kind;
        struct sink_node **kids; /* AND, OR, NOT */
        int nkids;
        char *text;         /* the value as written, for the match record */
        char *key;          /* the compared form: folded, a qid, lowercased */
        bool qid;           /* ENTITY: key is "Q" and digits */
        double salience;    /* ENTITY, TYPE: salience must be above; < 0 any */
        enum sink_where in; /* TERM */
        char **toks;        /* TERM: its folded words, in order */
        int ntoks;
        long long within;   /* WITHIN: seconds */
        int col;            /* where it was written, for messages */
};

struct sink_watch {
        char *name;
        struct sink_node *root;
        char *query;              /* as written, without its comment */
        int line;                 /* where it was defined, for messages */
        bool suppress_duplicates; /* skip events with duplicate_of set */
        char *webhook;            /* webhook:URL, or NULL */
};

/* The index: each key an event can carry ("q" qid, "e" folded entity name
 * or mention, "t" type, "w" folded word, "l" language, "s" source, "d"
 * site) to the watches that cannot match without it. */
struct sink_key {
        char *key; /* NULL: free slot */
        int *w;
        int n;
};

struct sink_watchset {
        char *origin; /* file name, or what the text came from */
        struct sink_watch *w;
        int n;
        struct sink_key *tab; /* open addressing, ntab a power of two */
        size_t ntab;
        size_t nkeys;
        int *always; /* watches no key can rule out (NOT ..., within:...) */
        int nalways;
        bool words;  /* some watch has a TERM: the text must be tokenized */
        unsigned *stamp; /* per-event candidate marks (matching scratch) */
        unsigned epoch;
};

/* What matched: an entity (entity >= 0) or a word or phrase occurrence
 * (entity < 0, at [start, end) code points in the title or text). */
struct sink_hit {
        int watch;
        const struct sink_node *leaf;
        int entity; /* index in the event's "entities" array, or -1 */
        enum sink_where in;
        int start, end;
};

struct sink_tok {
        size_t off; /* in sink_hits.arena */
        size_t len;
        int start, end; /* code points in the source string */
};

struct sink_toks {
        struct sink_tok *v;
        int n, cap;
};

struct sink_ent {
        const char *type;
        char *name; /* folded */
        const char *qid;
        double salience;
        char **ments; /* folded mention texts */
        int nments;
};

/* Per-event scratch, reused from one event to the next. */
struct sink_hits {
        struct sink_hit *v;
        int n;
        int cap;
        /* the prepared event */
        struct sink_ent *ents;
        int nents, capents;
        char *arena;
        size_t narena, caparena;
        struct sink_toks title, text;
        /* the words of the event: open addressing on the folded word, each
         * slot the first and last of its occurrences (title tokens, then
         * text tokens numbered after them), chained in order by wnext */
        struct sink_wslot { int head, tail; } *wtab;
        size_t nwtab;
        int *wnext;
        int capwnext;
        int *cand;
        int ncand, capcand;
};

/** @brief Parse watches text: one "name: query" per line (docs/watches.md),
 * '#' outside quotes starts a comment, blank lines are skipped. A query with
 * no field, quote, parenthesis or AND/OR/NOT is the first form, "name: Term,
 * Term, Q965": any of these entities. @p origin names the text in messages
 * ("watches.conf:12:7: ..."). @returns new set, or NULL with err set
 * (VL_REJECT) naming origin, line and column. */
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
 * @brief Match an enriched event (borrowed; fields of the wrong type read as
 * absent) against the watches that the index leaves as candidates, at time
 * @p now (seconds since the epoch, for within:). Watches that suppress
 * duplicates are skipped for an event with duplicate_of set.
 * @param hits reset, then filled sorted by watch, in the order the query
 * names its conditions (lang:, source:, site: and within: too, with no
 * place); a watch that matched on NOT alone gets one hit with leaf NULL.
 */
void sink_watchset_match(struct sink_watchset *ws, const json_t *ev,
                         long long now, struct sink_hits *hits);

/** @brief sink_watchset_match() on an event already read (@p ev borrowed;
 * hits point into it as long as it is not reused). */
void sink_watchset_match_event(struct sink_watchset *ws,
                               const struct sink_event *ev, long long now,
                               struct sink_hits *hits);

void sink_hits_release(struct sink_hits *hits);

/** @brief Split @p s into folded words (vl_text_fold_cp(); letters, digits
 * and marks make words, all else separates them), appended to @p toks, the
 * bytes in @p h's arena. Offsets are in code points. */
void sink_tokenize(const char *s, struct sink_hits *h, struct sink_toks *toks);

/* ---- webhooks (webhook.c) ---- */

struct sink_hook_conf {
        int64_t timeout_ms;     /* one attempt */
        int64_t retries;        /* attempts after the first */
        int64_t backoff_ms;     /* before the first retry; doubles */
        int64_t backoff_max_ms; /* cap, Retry-After included */
        int64_t max_pending;    /* deliveries held before posting waits */
        bool allow_private;
        const char *secret;     /* HMAC-SHA256 key, NULL or "": none */
        const char *dlq_topic;
        int64_t dlq_max_input_bytes;
};

struct sink_hooks;

/** @brief Start the webhook worker thread (strings in @p c borrowed for its
 * life). @returns it, or NULL with err set (VL_FATAL). */
struct sink_hooks *sink_hooks_start(const struct sink_hook_conf *c,
                                    struct vl_metrics *m, struct vl_err *err);

/** @brief Queue the POST of match record @p rec (copied: value and ce_*
 * headers) of watch @p watch to @p url, for input @p in (what its dead
 * letter describes); @p t is settled when it is delivered or
 * dead-lettered. Waits while sink.webhook.max.pending are held. */
void sink_hooks_post(struct sink_hooks *h, struct vl_ticket *t,
                     const char *watch, const char *url,
                     const struct vl_rec *rec, const struct vl_in *in);

/** @brief Stop the worker: what is not delivered yet is settled as not
 * delivered (its input is consumed again after a restart). NULL: no-op. */
void sink_hooks_stop(struct sink_hooks *h);

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

/** @brief Rotate the file if it holds @p max_bytes or more (0: no limit),
 * or if its first line was written @p max_age seconds or more before
 * @p now (0: no limit): rename it to "<path>.<UTC time>" (".N" added if
 * taken) and start a new file at the path. An empty file, a pipe or a
 * terminal is never rotated. Call it between appends: every line of the
 * renamed file is whole and synced. @returns VL_OK, or VL_RETRY (err set)
 * when the rename or the new file fails (the handle still works). */
enum vl_rc sink_jsonl_rotate_due(struct sink_jsonl *j, long long max_bytes,
                                 long long max_age, long long now,
                                 struct vl_err *err);

/** @brief Close; NULL is a no-op. */
void sink_jsonl_close(struct sink_jsonl *j);

#endif
