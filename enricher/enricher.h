#ifndef VEILLE_ENRICHER_H
#define VEILLE_ENRICHER_H
/*
 * veille-enricher: article events in, enriched events out.
 *
 *   tokens.c       tokenizer and folding (utf8proc), offsets in code points
 *   gazetteer.c    the alias table: TSV files -> hash of folded token keys
 *   tag.c          per-article tagging: longest alias match, surnames,
 *                  title rule, byline rule, grouping and salience
 *   model.c        statistical tagger (averaged perceptron, Viterbi) for
 *                  names no list knows; enricher_model.h
 *   eval.c         scoring against gold mentions; enricher_eval.h
 *   fingerprint.c  64-bit SimHash of word 3-shingles
 *   dedup.c        near-duplicates: an index of recent fingerprints, the
 *                  records of the fingerprint topic
 *   stage.c        the vl_stage callbacks: JSON in, JSON out (copied
 *                  through, the enricher's members appended)
 *
 * Everything built at init is read-only afterwards; per-article memory lives
 * in a struct enricher_tag and is reused from one article to the next, so a
 * steady stream of articles allocates nothing in the hot path.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include "veille/buf.h"
#include "veille/err.h"
#include "veille/stage.h"

/* ---- tokens.c ----------------------------------------------------------- */

enum enricher_tok_flags {
        ENRICHER_TOK_CAP = 1 << 0,     /* first letter is uppercase */
        ENRICHER_TOK_ALLCAPS = 1 << 1, /* >= 2 letters and none lowercase */
        ENRICHER_TOK_MIXED = 1 << 2,   /* uppercase after a lowercase letter */
        ENRICHER_TOK_JOIN = 1 << 3,    /* only blanks, hyphens or apostrophes
                                        * (no newline) since the previous */
        ENRICHER_TOK_HYPHEN = 1 << 4,  /* that gap is a single hyphen */
        ENRICHER_TOK_DOT = 1 << 5,     /* that gap is "." plus blanks */
        ENRICHER_TOK_LINE = 1 << 6,    /* first token of a line */
        ENRICHER_TOK_PARA = 1 << 7,    /* first token after a blank line */
        ENRICHER_TOK_SKIP = 1 << 8,    /* boilerplate: never tagged */
        ENRICHER_TOK_DIGIT = 1 << 9,   /* has a digit */
        /* set by enricher_tokens_case_evidence() only: */
        ENRICHER_TOK_LOWSEEN = 1 << 10, /* capitalised, and the same folded
                                         * word is written in lowercase
                                         * elsewhere in the text */
        ENRICHER_TOK_CAPSEEN = 1 << 11, /* capitalised, and the same folded
                                         * word is capitalised in mid-sentence
                                         * (after blanks, a hyphen or an
                                         * apostrophe) somewhere in the text */
};

/** One word: a run of letters, digits and combining marks. Apostrophes and
 * hyphens separate words ("l'Alliance" is "l" + "Alliance"). */
struct enricher_tok {
        uint32_t b0, b1; /* bytes [b0, b1) in the source text */
        uint32_t c0, c1; /* the same span in code points */
        uint32_t f0, f1; /* folded form in enricher_tokens.fold */
        uint64_t h;      /* hash of the folded form */
        uint16_t nlet;   /* letters (marks and digits not counted) */
        uint16_t upmask; /* bit k set: letter k (k < 16) is uppercase */
        uint16_t flags;  /* enum enricher_tok_flags */
};

struct enricher_tokseen {
        uint64_t h;       /* a folded word */
        uint32_t gen : 24; /* the text it belongs to (enricher_tokens.dgen) */
        uint32_t how : 8;  /* 1: in lowercase, 2: capitalised mid-sentence */
};

/** The tokens of one text and their folded forms; reused across texts. */
struct enricher_tokens {
        struct enricher_tok *v;
        size_t n, cap;
        char *fold; /* folded bytes of every token, back to back */
        size_t flen, fcap;
        uint32_t ncp; /* code points in the whole text */
        struct enricher_tokseen *dk; /* scratch of the LOWSEEN / CAPSEEN
                                      * pass: how each word was written */
        size_t dcap;
        uint32_t dgen; /* the text's generation in dk */
};

void enricher_tokens_init(struct enricher_tokens *tk);
void enricher_tokens_release(struct enricher_tokens *tk);
/**
 * @brief Split @p s (@p len bytes of UTF-8) into tokens, replacing what
 * @p tk held. Each code point of a word is folded with vl_text_fold_cp()
 * (the one fold of veille/text.h: case folding, compatibility
 * decomposition, marks stripped, oe/ae/o/l/d for the letters Unicode does
 * not decompose). A lowercase->uppercase change after 4 letters splits a word
 * ("défenseBurkina": photo captions glued to the text). Invalid UTF-8 bytes
 * count as one code point each and separate words.
 */
void enricher_tokenize(struct enricher_tokens *tk, const char *s, size_t len);
/**
 * @brief Set ENRICHER_TOK_LOWSEEN and ENRICHER_TOK_CAPSEEN on the
 * capitalised words of @p tk from the other occurrences of the same folded
 * word in the text: the statistical tagger's document-level case evidence
 * ("Le" at a sentence start is "le" elsewhere; a name is capitalised
 * wherever it stands). The tagger's features read them: call it after
 * enricher_tokenize() on any text given to the model, in training as in
 * tagging (enricher_tag_article() does when it has a model).
 */
void enricher_tokens_case_evidence(struct enricher_tokens *tk);
/** @returns the folded form of token @p i (not NUL-terminated), its length
 * in @p n. */
static inline const char *enricher_tok_fold(const struct enricher_tokens *tk,
                                            size_t i, size_t *n)
{
        *n = tk->v[i].f1 - tk->v[i].f0;
        return tk->fold + tk->v[i].f0;
}
/** @returns the hash of a folded token (what enricher_tok.h holds). */
uint64_t enricher_hash_bytes(const char *p, size_t n);
/** @returns the hash of a token sequence: start from ENRICHER_SEQ_SEED and
 * fold each token's hash in, in order. */
#define ENRICHER_SEQ_SEED 0x6a09e667f3bcc909ULL
/** @returns @p x with its bits mixed (splitmix64's finaliser). */
static inline uint64_t enricher_mix64(uint64_t x)
{
        x ^= x >> 30;
        x *= 0xbf58476d1ce4e5b9ULL;
        x ^= x >> 27;
        x *= 0x94d049bb133111ebULL;
        x ^= x >> 31;
        return x;
}
static inline uint64_t enricher_hash_seq(uint64_t seq, uint64_t tokhash)
{
        return enricher_mix64(seq * 0x9e3779b97f4a7c15ULL + tokhash);
}

/* ---- gazetteer.c -------------------------------------------------------- */

enum enricher_type { ENRICHER_PER, ENRICHER_ORG, ENRICHER_LOC };

/** @returns "PER", "ORG" or "LOC". */
const char *enricher_type_name(enum enricher_type t);

struct enricher_entity {
        char *name; /* canonical (English) name */
        char qid[16]; /* "" when unknown */
        enum enricher_type type;
        uint64_t last_h; /* PER: hash of the canonical name's last word */
};

enum enricher_alias_flags {
        ENRICHER_ALIAS_EXACT = 1 << 0,    /* letter case must match */
        ENRICHER_ALIAS_PROPER = 1 << 1,   /* a capitalised word is needed */
        ENRICHER_ALIAS_ANAPHOR = 1 << 2,  /* "~x": after a full mention only */
        ENRICHER_ALIAS_STOPWORD = 1 << 3, /* an acronym that is also a word */
};

struct enricher_alias {
        uint32_t entity;
        uint32_t file; /* which load it came from: later loads win */
        uint32_t next; /* next alias with the same folded key, or NONE */
        uint32_t sig;  /* first of its ntok case signatures */
        uint32_t key;  /* its folded key in the key pool */
        uint16_t klen;
        uint8_t ntok;
        uint8_t flags; /* enum enricher_alias_flags */
};

/** Case signature of one alias word: letter count and uppercase mask. */
struct enricher_sig {
        uint16_t nlet, upmask;
};

struct enricher_gz_slot;
struct enricher_fn_ent;

/** The alias table. Read-only once loaded: one may serve several taggers. */
struct enricher_gazetteer {
        struct enricher_entity *ent;
        size_t nent, capent;
        struct enricher_alias *al;
        size_t nal, capal;
        struct enricher_sig *sig;
        size_t nsig, capsig;
        char *keys; /* folded keys, words separated by '\x1f' */
        size_t klen, kcap;
        struct enricher_gz_slot *slot; /* open addressing, power of two */
        size_t nslot, used;
        /* one bit per hash of an alias's first word (ENRICHER_GZ_FIRST
         * bits): most words begin no alias and are answered here, in
         * 8 KiB that stay in cache, without a probe of the slot table */
        uint64_t *first;
        struct enricher_fn_ent *fn; /* PER aliases by first word, sorted */
        size_t nfn;
        uint32_t *eslot; /* entities by canonical name: index + 1, or 0 */
        size_t neslot;
        unsigned maxtok; /* longest alias in words */
        unsigned nfiles;
};

#define ENRICHER_NONE UINT32_MAX
#define ENRICHER_KEY_SEP '\x1f' /* between the words of a folded key */
#define ENRICHER_GZ_FIRST (1u << 16)
#define ENRICHER_MAX_TOK 12 /* aliases longer than this are refused */

/** @returns new, empty gazetteer. */
struct enricher_gazetteer *enricher_gazetteer_new(void);
void enricher_gazetteer_destroy(struct enricher_gazetteer *gz);
/**
 * @brief Load a TSV file on top of what is loaded:
 * `canonical<TAB>PER|ORG|LOC<TAB>qid or empty<TAB>alias|alias|...`,
 * '#' comments and blank lines ignored. The canonical name is an alias too.
 * An alias starting with '~' only matches after the entity was mentioned in
 * full in the same article ("~Confédération"). An entry whose canonical
 * name and type are already known adds its aliases to that entity (and sets
 * its qid when one is given); aliases of later files win over earlier ones
 * with the same spelling.
 * @returns VL_OK, or VL_FATAL with "file:line: reason" in @p err.
 */
enum vl_rc enricher_gazetteer_load(struct enricher_gazetteer *gz,
                                   const char *path, struct vl_err *err);
/** @brief Same as enricher_gazetteer_load() on a string (tests); @p name
 * appears in messages. */
enum vl_rc enricher_gazetteer_load_mem(struct enricher_gazetteer *gz,
                                       const char *name, const char *data,
                                       size_t len, struct vl_err *err);
/**
 * @brief Look up the words tokens[i .. i+n-1] (their sequence hash is
 * @p h). @returns the first alias with that folded key, ENRICHER_NONE if
 * the key is only the prefix of a longer alias, or -1 (as int64) if no alias
 * starts with these words.
 */
int64_t enricher_gazetteer_find(const struct enricher_gazetteer *gz,
                                const struct enricher_tokens *tk, size_t i,
                                size_t n, uint64_t h);
/** @brief Aliases of people with >= 2 words whose first word hashes to
 * @p h: [*first, *first + @returns count) in gz->fn order. */
size_t enricher_gazetteer_by_first(const struct enricher_gazetteer *gz,
                                   uint64_t h, size_t *first);
/** @returns the alias index of the @p k-th entry of the first-word index. */
uint32_t enricher_gazetteer_fn_alias(const struct enricher_gazetteer *gz,
                                     size_t k);
/** @returns the entity whose canonical name is @p name, or -1. */
int64_t enricher_gazetteer_entity(const struct enricher_gazetteer *gz,
                                  const char *name);

/* ---- tag.c -------------------------------------------------------------- */

enum enricher_where { ENRICHER_IN_TEXT, ENRICHER_IN_TITLE };

enum enricher_source {
        ENRICHER_SRC_GAZETTEER, /* an alias of the table */
        ENRICHER_SRC_FUZZY,     /* a person's full name with one typo */
        ENRICHER_SRC_SURNAME,   /* a surname after the full name */
        ENRICHER_SRC_TITLE,     /* "le ministre X Y", "President X Y" */
        ENRICHER_SRC_BYLINE,    /* a "Par X Y" line */
        ENRICHER_SRC_MODEL,     /* the statistical tagger (model.c) */
        ENRICHER_SRC_ORG,       /* "Alliance des États du Sahel (AES)" */
};

struct enricher_mention {
        uint32_t start, end;   /* code points, end exclusive */
        uint32_t bstart, bend; /* bytes */
        uint32_t group;
        uint8_t where;  /* enum enricher_where */
        uint8_t source; /* enum enricher_source */
};

/** One distinct entity of the article. */
struct enricher_group {
        int64_t entity;       /* gazetteer entity, or -1 (rule-found person) */
        enum enricher_type type;
        uint32_t name, nlen;  /* name of an unknown person in the name pool */
        uint32_t key, klen;   /* its folded name in the name pool */
        uint32_t count;
        uint32_t first;       /* its first mention */
        bool in_title, in_lead;
        double salience;
};

struct enricher_local;

struct enricher_wordset {
        uint64_t *h; /* hashes of folded words, open addressing (0 empty) */
        size_t mask; /* slots - 1 */
};

/** Per-article state and results; one per thread. */
struct enricher_tag {
        const struct enricher_gazetteer *gz;
        struct enricher_tokens title, text;
        uint32_t *seen;  /* per entity: generation of the last mention */
        int32_t *group_of; /* per entity: its group when seen[] == gen */
        uint32_t gen;
        struct enricher_local *loc; /* names this article introduced */
        size_t nloc, caploc;
        char *pool; /* names and keys of rule-found people */
        size_t plen, pcap;
        struct enricher_mention *m;
        size_t nm, capm;
        struct enricher_group *g;
        size_t ng, capg;
        uint32_t *sort; /* scratch of finish(): order and rank */
        struct enricher_group *sorted;
        size_t capsort;
        uint32_t lead_end; /* code point where the lead paragraph ends */
        struct enricher_wordset titles, abbrevs, roles, links, function;
        struct enricher_wordset nonname, verbs, orgheads;
        struct {
                uint64_t *h; /* the words of the lists above */
                uint8_t *v;  /* their classes (enricher_tag_classes()) */
                size_t mask;
        } cls;
        const struct enricher_model *model; /* NULL: no statistical tagger */
        struct enricher_model_work *mw;
        uint8_t *mlab; /* model tags of the tokens being scanned */
        uint8_t *mcls; /* ... and their word classes */
        size_t capmlab;
};

struct enricher_model;
struct enricher_model_work;

/** @returns new tagger over @p gz (borrowed; must outlive it). */
struct enricher_tag *enricher_tag_new(const struct enricher_gazetteer *gz);
void enricher_tag_destroy(struct enricher_tag *tg);
/** @brief Use the statistical tagger @p m (borrowed; NULL: none) for names
 * the gazetteer and the rules do not find: PER, ORG and LOC mentions without
 * a qid. */
void enricher_tag_set_model(struct enricher_tag *tg,
                            const struct enricher_model *m);
/**
 * @brief Tag one article: fills tg->m (title mentions first, then text, in
 * order) and tg->g (sorted by salience, highest first; mentions' group
 * indexes follow the sort). Either string may be NULL. Invalidates the
 * previous results.
 */
void enricher_tag_article(struct enricher_tag *tg, const char *title,
                          size_t tlen, const char *text, size_t len);
/**
 * @brief The word classes of the tokens of @p tk into @p cls (tk->n
 * bytes), the statistical tagger's lexical features, from the rules' word
 * lists (folded words): bit 0 title ("ministre", "President"), 1
 * abbreviation ("M", "Mme"), 2 role ("Défense", "Affaires"), 3 function word
 * ("le", "the"), 4 organisation head ("Alliance", "Ministry"), 5 word of a
 * place or organisation name ("School", "Stadium"), 6 verb or linking word
 * after a name ("said", "déclare").
 */
void enricher_tag_classes(const struct enricher_tag *tg,
                          const struct enricher_tokens *tk, uint8_t *cls);
/** @returns the name of group @p g: the canonical name or the name as
 * written (not NUL-terminated; length in @p n). */
const char *enricher_tag_group_name(const struct enricher_tag *tg,
                                    const struct enricher_group *g, size_t *n);

/* ---- fingerprint.c ------------------------------------------------------ */

/** @returns the 64-bit SimHash of the word 3-shingles of @p tk (a text
 * with fewer than 3 words is one shingle; no words gives 0). */
uint64_t enricher_fingerprint_simhash(const struct enricher_tokens *tk);
/** @brief Same on a string (tokenizes into a temporary). */
uint64_t enricher_fingerprint_text(const char *s, size_t len);
#define ENRICHER_MINHASH_K 16
/** @brief Both fingerprints of @p tk in one pass over its shingles: the
 * SimHash, and the MinHash signature (one hash per shingle, 16 buckets, the
 * minimum of each; an empty bucket is UINT32_MAX): the share of equal
 * values of two signatures estimates the Jaccard similarity of their
 * shingle sets. */
void enricher_fingerprint(const struct enricher_tokens *tk, uint64_t *simhash,
                          uint32_t sig[ENRICHER_MINHASH_K]);
/** @returns the Hamming distance of two fingerprints (0..64). */
int enricher_fingerprint_distance(uint64_t a, uint64_t b);

/* ---- dedup.c ------------------------------------------------------------ */

#define ENRICHER_DEDUP_ID_MAX 40 /* longer ids are not indexed */
#define ENRICHER_FINGERPRINT_SCHEMA "veille.fingerprint.v1"

struct enricher_dedup;
struct vl_jobj;

/** @returns an empty index of at most @p cap signatures (the oldest
 * inserted go first), two texts being near-duplicates when at least
 * @p match of their ENRICHER_MINHASH_K MinHash values are equal, within
 * @p window_s seconds. */
struct enricher_dedup *enricher_dedup_new(size_t cap, int64_t window_s,
                                          int match);
void enricher_dedup_destroy(struct enricher_dedup *dd);
/** @returns the signatures held. */
size_t enricher_dedup_size(const struct enricher_dedup *dd);
/** @brief Index article @p id, signature @p sig, time @p t (seconds); the
 * same id and signature again is not added twice. */
void enricher_dedup_add(struct enricher_dedup *dd, const char *id,
                        const uint32_t *sig, int64_t t);
/**
 * @brief The original that article (@p id, @p sig, @p t) repeats: of the
 * indexed articles other than @p id that match and were published in
 * [t - window, t], the earliest by (time, id), provided it comes before
 * (t, id) in that order.
 * @returns true with its id in @p out, or false.
 */
bool enricher_dedup_find(const struct enricher_dedup *dd, const char *id,
                         const uint32_t *sig, int64_t t,
                         char out[ENRICHER_DEDUP_ID_MAX + 1]);
/** @brief Write the fingerprint record of the topic:
 * {"schema":"veille.fingerprint.v1","id","minhash":"128 hex","time":s}.
 * @returns its length (as snprintf). */
int enricher_dedup_record(char *buf, size_t size, const char *id,
                          const uint32_t *sig, int64_t t);
/** @brief Read a fingerprint record. @returns VL_OK or VL_REJECT. */
enum vl_rc enricher_dedup_parse(const char *s, size_t n, struct vl_jobj *o,
                                struct vl_buf *scratch,
                                char id[ENRICHER_DEDUP_ID_MAX + 1],
                                uint32_t *sig, int64_t *t, struct vl_err *err);

/* ---- stage.c ------------------------------------------------------------ */

/** The enricher's own configuration keys. */
struct enricher_conf {
        char *gazetteer;     /* enricher.gazetteer */
        char *user_aliases;  /* enricher.user.aliases */
        char *model;         /* enricher.model */
        int64_t max_text_bytes; /* enricher.max.text.bytes */
        char *dedup_topic;      /* enricher.dedup.topic */
        int64_t dedup_window_s; /* enricher.dedup.window.s */
        int64_t dedup_max;      /* enricher.dedup.max */
        double dedup_similarity; /* enricher.dedup.similarity */
        int64_t dedup_min_words; /* enricher.dedup.min.words */
        int64_t dedup_load_ms;  /* enricher.dedup.load.ms */
};

extern const struct vl_conf_key enricher_keys[];

/** @brief vl_stage init: load the gazetteer(s), build the tagger. */
enum vl_rc enricher_init(void **state, const struct vl_stage_conf *sc,
                         void *conf, struct vl_metrics *m, struct vl_err *err);
/** @brief vl_stage process: one article event in, one enriched event out;
 * VL_REJECT for an input that is not an article. */
enum vl_rc enricher_process(void *state, const struct vl_in *in,
                            struct vl_out *out, struct vl_err *err);
/** @brief vl_stage reload (SIGHUP): reload the gazetteer files; on error
 * the old tables stay in use. */
enum vl_rc enricher_reload(void *state, struct vl_err *err);
void enricher_destroy(void *state);

/**
 * @brief The transformation itself, without Kafka: enrich @p article (an
 * article object, modified in place: schema, entities, fingerprint,
 * duplicate_of, enriched_at).
 * @returns VL_OK or VL_REJECT (err filled) when it is not an article.
 */
enum vl_rc enricher_enrich_json(void *state, json_t *article,
                                struct vl_err *err);
/**
 * @brief The same on bytes, as the daemon does it: @p in (an article event)
 * is checked and split into members (veille/jscan.h) without building a
 * tree; the members the enricher does not write are copied through as
 * they are, then lang and lang_source (only when the article had no
 * language and one was guessed), entities, fingerprint, duplicate_of and
 * enriched_at are appended. The enriched event replaces what @p out held.
 * @returns VL_OK or VL_REJECT (err filled).
 */
enum vl_rc enricher_enrich_raw(void *state, const char *in, size_t n,
                               struct vl_buf *out, struct vl_err *err);

#endif
