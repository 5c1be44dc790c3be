#ifndef VEILLE_PARSER_H
#define VEILLE_PARSER_H
/*
 * veille-parser: page events (veille.pages) in, article events
 * (veille.articles) out. The modules, in the order a page goes through them:
 *
 *   page.c     decode the page event (JSON, base64 body, size cap)
 *   charset.c  find the body's charset and convert it to valid UTF-8
 *   html.c     parse with libxml2's HTML parser; DOM helpers
 *   meta.c     title, authors, dates, lang, canonical, site, ... (jsonld.c
 *              and date.c do the parts; lib's vl_date reads dates and
 *              vl_lang guesses languages)
 *   extract.c  drop the boilerplate, find the main content, cut it in blocks
 *   article.c  put it together into the article JSON
 *   stage.c    the struct vl_stage callbacks and the configuration keys
 *
 * Everything here but main.c is the static library veille_parser_core, which
 * the unit tests link. All text that leaves this library is valid UTF-8.
 * UTF-8 repair, white space and folding are lib's (veille/text.h).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <libxml/HTMLparser.h>
#include "veille/buf.h"
#include "veille/conf.h"
#include "veille/date.h"
#include "veille/err.h"
#include "veille/metrics.h"
#include "veille/out.h"
#include "veille/stage.h"
#include "veille/text.h"

#define PARSER_SCHEMA_PAGE "veille.page.v1"
#define PARSER_SCHEMA_ARTICLE "veille.article.v1"
/* The largest article event: the producers' message.max.bytes is 16 MiB
 * (lib/src/vl_kafka.c), less room for the key and headers. Past it the
 * article keeps its whole text and as many of its first blocks as fit; an
 * article whose text alone does not fit is refused (too_large). */
#define PARSER_MAX_ARTICLE_BYTES (15u << 20)
#define PARSER_CE_TYPE "org.veille.article.v1"

/* ------------------------------------------------------------------ conf */

/** The parser's own configuration keys (stage.c, parser_conf_keys). */
struct parser_conf {
        int64_t min_words;      /* parser.min.words */
        int64_t max_body_bytes; /* parser.max.body.bytes */
        bool lang_detect;       /* parser.lang.detect */
        bool non_articles;      /* parser.non.articles */
        char *url;              /* one-shot: --url */
        char *charset;          /* one-shot: --charset */
};

extern const struct vl_conf_key parser_conf_keys[];

/* ------------------------------------------------------------------ text.c */
/* UTF-8 repair, white-space collapsing (struct vl_text), folding and JSON
 * strings are lib's: veille/text.h. */

/** A growable list of owned strings. Zero-initialise, then add. */
struct parser_strv {
        char **v;
        int n;
        int cap;
        char **folded; /* v[i] folded (VL_FOLD_ALNUM), NULL until compared:
                        * parser_strv_find()'s cache */
};

/** @brief Append a copy of @p s (NULL ignored). */
void parser_strv_add(struct parser_strv *sv, const char *s);
/** @brief Append a copy of @p s unless an entry with the same folded form
 * (vl_text_fold, VL_FOLD_ALNUM) is there already. @returns true if added. */
bool parser_strv_add_unique(struct parser_strv *sv, const char *s);
/** @returns the index of the entry whose folded form equals @p s's, or -1. */
int parser_strv_find(const struct parser_strv *sv, const char *s);
void parser_strv_clear(struct parser_strv *sv);
void parser_strv_release(struct parser_strv *sv);

/** @returns the number of words: white-space separated tokens that hold at
 * least one letter or digit. */
int parser_text_word_count(const char *s);
/** @returns true if the @p n bytes of @p s are valid UTF-8 (eight ASCII
 * bytes at a time). */
bool parser_text_valid_utf8(const char *s, size_t n);
/** @returns the number of code points in valid UTF-8 @p s. */
size_t parser_text_chars(const char *s);
/** @returns new copy of @p s with HTML character references decoded
 * (&amp; &#233; &#xE9; &eacute; ...), for text found outside the DOM
 * (JSON-LD, which some sites escape twice). */
char *parser_text_unescape(const char *s);
/** @returns true if folded @p s starts with @p prefix (folded, ASCII) and
 * the next character is not a letter. */
bool parser_text_starts_word(const char *folded, const char *prefix);

/* --------------------------------------------------------------- charset.c */

/** Where the charset came from. */
enum parser_cs_source {
        PARSER_CS_HTTP,    /* the page event's http.charset / content_type */
        PARSER_CS_BOM,     /* byte order mark */
        PARSER_CS_META,    /* <meta charset>, http-equiv or <?xml encoding?> */
        PARSER_CS_DETECT,  /* valid UTF-8, or a label the bytes contradict */
        PARSER_CS_DEFAULT, /* windows-1252 */
};

/** The body converted to UTF-8. */
struct parser_text_doc {
        char *html; /* valid UTF-8, NUL-terminated, BOM removed */
        size_t len;
        char charset[32]; /* what it was decoded from, e.g. "windows-1252" */
        enum parser_cs_source source;
        size_t replaced; /* bytes that could not be decoded (now U+FFFD) */
};

/**
 * @brief The canonical name of a charset label, following the WHATWG
 * Encoding standard where it matters on the web: "latin1", "iso-8859-1" and
 * "us-ascii" are windows-1252, "utf8" is utf-8, and so on.
 * @returns a static string, or NULL when the label is empty or malformed.
 * Names not in our table are returned lowercased in @p buf (for iconv).
 */
const char *parser_charset_normalize(const char *label, char buf[32]);
/** @brief The charset parameter of a Content-Type value, into @p buf.
 * @returns @p buf or NULL. */
const char *parser_charset_from_content_type(const char *ct, char buf[32]);
/** @brief Pre-scan the first bytes for <meta charset>, <meta http-equiv>
 * or an XML declaration, like a browser does. @returns @p buf or NULL. */
const char *parser_charset_sniff_meta(const unsigned char *p, size_t n,
                                      char buf[32]);
/**
 * @brief Decide the charset and convert @p p to UTF-8: BOM, then
 * @p http_label, then the meta pre-scan, then UTF-8 if the bytes are valid,
 * else windows-1252. A single-byte label on bytes that are valid UTF-8 with
 * non-ASCII sequences is overruled (UTF-8 served as latin-1), and so is a
 * UTF-8 label on bytes without a single valid multi-byte sequence.
 * @param http_label borrowed, may be NULL.
 * @returns VL_OK; the conversion itself cannot fail (bad bytes become
 * U+FFFD). @p out must be released with parser_text_doc_release().
 */
enum vl_rc parser_charset_decode(const unsigned char *p, size_t n,
                                 const char *http_label,
                                 struct parser_text_doc *out,
                                 struct vl_err *err);
void parser_text_doc_release(struct parser_text_doc *td);
const char *parser_cs_source_name(enum parser_cs_source s);

/* ------------------------------------------------------------------ html.c */

/**
 * @brief Sniff raw bytes: a known binary signature (PDF, images, archives,
 * compressed data), NUL or control bytes in the first KiB, or a feed
 * document. @returns VL_OK or VL_REJECT with a message "not html: ...".
 */
enum vl_rc parser_html_sniff(const unsigned char *p, size_t n,
                             struct vl_err *err);
/**
 * @brief Parse UTF-8 HTML with libxml2 (no network, no external entities,
 * errors recovered, the document's own charset declarations ignored since
 * the text is UTF-8 already). libxml2 stops at 256 levels of nesting.
 * @returns new document (free with xmlFreeDoc), or NULL with err set
 * (VL_REJECT).
 */
htmlDocPtr parser_html_parse(const char *html, size_t len, const char *url,
                             struct vl_err *err);
/** @brief parser_html_parse() of @p *html (malloc'd), which is freed (and
 * set to NULL) as soon as libxml2 has copied it, not to hold a large page
 * twice during the parse.
 * @param prune leave out of the tree what no module reads (attributes not
 * in html.c's keep list, comments, the text of <style> and of non-JSON
 * <script>, white space that separates nothing): a smaller tree, a faster
 * parse, the same article;
 * parser_html_parse() always prunes. */
htmlDocPtr parser_html_parse_take(char **html, size_t len, const char *url,
                                  bool prune, struct vl_err *err);
/** Pages from this size up have their tree's memory given back to the
 * system when it is freed (parser_html_free()). */
#define PARSER_HTML_TRIM_BYTES (1 << 20)
/** @brief xmlFreeDoc(), then, for a page of @p page_len bytes from
 * PARSER_HTML_TRIM_BYTES up, malloc_trim(): the freed tree is not left
 * resident under the rest of the work. */
void parser_html_free(htmlDocPtr doc, size_t page_len);
/** @returns the element's attribute @p name (case-insensitive), borrowed
 * from the tree, or NULL. */
const char *parser_html_attr(const xmlNode *n, const char *name);
/** @returns true if @p n is an element named @p tag (lowercase). */
bool parser_html_is(const xmlNode *n, const char *tag);
/** @returns the element name (lowercase) or "" for non-elements. */
const char *parser_html_name(const xmlNode *n);
/** @returns true if the white-space separated list @p list holds @p tok
 * (ASCII case-insensitive), as for rel="..." values. */
bool parser_html_has_token(const char *list, const char *tok);
/**
 * @brief Depth-first pre-order walk without recursion, staying inside
 * @p root: @returns the node after @p n, not entering @p n's children when
 * @p skip_children.
 */
xmlNode *parser_html_next(xmlNode *n, const xmlNode *root,
                          bool skip_children);
/** @returns new collapsed text of @p n's subtree (script, style, template
 * and comments skipped; block boundaries become spaces). */
char *parser_html_text(xmlNode *n);
/** @brief The same, leaving out the elements for which @p skip says so. */
char *parser_html_text_filter(xmlNode *n, bool (*skip)(const xmlNode *));
/** @returns true if the element is block-level for text extraction. */
bool parser_html_is_block(const xmlNode *n);

/* ------------------------------------------------------------------ date.c */

#define PARSER_DATE_LEN VL_DATE_LEN

/**
 * @brief Read a date as pages write it: vl_date_parse() with VL_DATE_LOOSE
 * (ISO 8601, RFC 822, Unix times, "12 mars 2024 à 10h05", "March 12, 2024",
 * "12/03/2024" read day first, a date among other words), kept only if
 * plausible for a news article, and written by vl_date_iso():
 * "2024-03-12T09:05:00Z" in UTC when the zone is known,
 * "2024-03-12T10:05:00" when not, "2024-03-12" for a date alone.
 * @param now_ms the current time: dates before 1990 or more than a day past
 * @p now_ms are refused (0: no upper bound).
 * @returns true and fills @p out on success.
 */
bool parser_date_parse(const char *s, int64_t now_ms,
                       char out[PARSER_DATE_LEN]);

/* ---------------------------------------------------------------- jsonld.c */

/** What the JSON-LD blocks of a page say about its article. */
struct parser_jsonld {
        int rank;   /* how article-like the best object was (0: none) */
        char *type; /* the @type chosen, e.g. "NewsArticle" */
        char *headline;
        struct parser_strv authors;
        char *published;
        char *modified;
        char *publisher;
        char *description;
        char *image;
        char *section;
        struct parser_strv keywords;
        char *lang;
        char *article_body;
        char *url;
};

/** @brief Read every <script type="application/ld+json"> of @p doc (bad
 * JSON skipped) and keep the best article-like object. */
void parser_jsonld_collect(htmlDocPtr doc, struct parser_jsonld *ld);
/** @brief The same from one JSON-LD text (used by collect, and by tests). */
void parser_jsonld_add(struct parser_jsonld *ld, const char *text,
                       size_t len);
void parser_jsonld_release(struct parser_jsonld *ld);

/* ------------------------------------------------------------------ page.c */

/** A decoded page event. Strings are borrowed from @c root. */
struct parser_page {
        json_t *root; /* owned */
        const char *id;
        const char *url;
        const char *final_url;
        const char *fetched_at;
        json_t *source; /* borrowed, object or NULL */
        const char *source_site;
        const char *source_lang;
        int http_status; /* 0 if unknown */
        const char *content_type;
        const char *http_charset;
        const char *content_language;
        const char *item_title;
        const char *item_published;
        const char *item_summary;
        json_t *item_authors;    /* borrowed array or NULL */
        json_t *item_categories; /* borrowed array or NULL */
        unsigned char *body;     /* owned, NUL-terminated */
        size_t body_len;
        bool too_large;          /* why decode refused it */
        bool body_borrowed;      /* body is the caller's, not freed */
};

/**
 * @brief Decode a page event: JSON object with at least "url" and
 * "body_b64"; the body is refused past @p max_body bytes.
 * @returns VL_OK or VL_REJECT (err set); @p pg must be released either way.
 */
enum vl_rc parser_page_decode(struct parser_page *pg, const char *json,
                              size_t len, int64_t max_body,
                              struct vl_err *err);
/**
 * @brief The same for an event without "body_b64", whose body is
 * @p body (NUL-terminated, borrowed: it must outlive @p pg, and
 * parser_page_release() leaves it alone). One-shot mode: the file is the
 * body, not copied into an event and decoded back (two copies of a large
 * page less).
 */
enum vl_rc parser_page_decode_borrowed(struct parser_page *pg,
                                       const char *json, size_t len,
                                       const char *body, size_t body_len,
                                       int64_t max_body, struct vl_err *err);
void parser_page_release(struct parser_page *pg);
/**
 * @brief One-shot mode: wrap raw HTML in a page event.
 * @param raw the page, or NULL: the event without "body_b64" (see
 * parser_page_decode_borrowed()), @p n still its "body_bytes".
 * @param url the page URL; @param charset the HTTP charset, may be NULL.
 * @returns new JSON text (compact), its length in @p len.
 */
char *parser_page_wrap(const char *raw, size_t n, const char *url,
                       const char *charset, size_t *len);

/* ------------------------------------------------------------------ meta.c */

/** Where the publication date came from. */
enum parser_date_source {
        PARSER_DATE_NONE = 0,
        PARSER_DATE_JSONLD,
        PARSER_DATE_OG,
        PARSER_DATE_META,
        PARSER_DATE_TIME,
        PARSER_DATE_FEED,
};

enum parser_lang_source {
        PARSER_LANG_NONE = 0,
        PARSER_LANG_HTML,
        PARSER_LANG_META,
        PARSER_LANG_HTTP,
        PARSER_LANG_SOURCE,
        PARSER_LANG_DETECT,
};

/** Everything about the article but its text. All strings owned. */
struct parser_meta {
        char *title;
        char *site;
        struct parser_strv authors;
        char published[PARSER_DATE_LEN]; /* "" when unknown */
        enum parser_date_source published_source;
        char modified[PARSER_DATE_LEN];
        char lang[8]; /* "" when unknown */
        enum parser_lang_source lang_source;
        char *canonical; /* canonical form, never NULL after extract */
        char *description;
        char *image;
        char *section;
        struct parser_strv tags;
        char *h1;           /* the page's main heading, for extract.c */
        char *article_body; /* JSON-LD articleBody, for extract.c */
        struct parser_strv bylines; /* raw byline texts seen, for extract.c */
};

/**
 * @brief Read the metadata of @p doc. The text-based guesses that need the
 * article text (lang detection) are done later by parser_meta_finish().
 * @param now_ms bound for the date checks.
 */
void parser_meta_extract(htmlDocPtr doc, const struct parser_page *pg,
                         int64_t now_ms, struct parser_meta *m);
/** @brief Fill in what needs the extracted @p text (lang detection).
 * @param detect whether the text may overrule a declared fr/en lang. */
void parser_meta_finish(struct parser_meta *m, const struct parser_page *pg,
                        const char *text, bool detect);
void parser_meta_release(struct parser_meta *m);
/**
 * @brief Strip a site-name suffix or prefix from @p title (" - Site",
 * " | Site", "Site : ..."): the part that matches @p site or @p host, or,
 * when @p loose, a short last part after " | " or " - ".
 * @returns new string.
 */
char *parser_meta_clean_title(const char *title, const char *site,
                              const char *host, bool loose);
/**
 * @brief Clean one author field ("Par Jean Dupont, le 12 mars" -> "Jean
 * Dupont") and add the names in it (split on " et ", " and ", " & ", ",")
 * to @p sv, leaving out the site name, URLs, e-mail addresses and, when
 * @p strict (free text rather than structured data), anything that is not
 * capitalised like a name. @returns the number of names added.
 */
int parser_meta_add_author(struct parser_strv *sv, const char *raw,
                           const char *site, bool strict);
const char *parser_date_source_name(enum parser_date_source s);
const char *parser_lang_source_name(enum parser_lang_source s);

/* --------------------------------------------------------------- extract.c */

enum parser_block_kind {
        PARSER_BLOCK_P = 0,
        PARSER_BLOCK_H,
        PARSER_BLOCK_LI,
        PARSER_BLOCK_QUOTE,
        PARSER_BLOCK_TABLE,
        PARSER_BLOCK_PRE,
};

struct parser_block {
        enum parser_block_kind kind;
        char *text; /* owned, collapsed (pre keeps its line breaks) */
};

struct parser_blocks {
        struct parser_block *v;
        int n;
        int cap;
};

/** What the metadata tells the extractor (all borrowed, may be NULL). */
struct parser_hints {
        const char *title;
        const char *h1;
        const char *site;
        const struct parser_strv *authors;
        const struct parser_strv *bylines;
        const char *article_body; /* JSON-LD articleBody */
};

/**
 * @brief Remove the boilerplate from @p doc (in place), find the main
 * content and cut it into blocks: paragraphs, headings, list items, quotes,
 * tables, preformatted text. Teasers ("LIRE AUSSI", "Read more"), bylines,
 * link-dense lines and the title repeated are left out.
 */
void parser_extract_blocks(htmlDocPtr doc, const struct parser_hints *h,
                           struct parser_blocks *out);
/** @brief Add a block (text stolen). */
void parser_blocks_add_take(struct parser_blocks *b,
                            enum parser_block_kind kind, char *text);
/** @returns new text: the blocks joined with "\n\n". */
char *parser_blocks_text(const struct parser_blocks *b);
void parser_blocks_release(struct parser_blocks *b);
const char *parser_block_kind_name(enum parser_block_kind k);
/** @returns true if the collapsed line @p text is a teaser or site chrome
 * ("LIRE AUSSI : ...", "Read more", "Publicité", cookie notices). */
bool parser_extract_is_chrome(const char *text);

/* --------------------------------------------------------------- article.c */

/** Why a page gave no article (for the metrics). */
enum parser_reason {
        PARSER_OK = 0,
        PARSER_BAD_EVENT,
        PARSER_TOO_LARGE,
        PARSER_NOT_HTML,
        PARSER_NO_TEXT,
        PARSER_TOO_SHORT,   /* fewer words than parser.min.words */
        PARSER_ERROR_PAGE,  /* HTTP error, or an error title and no text */
        PARSER_INDEX_PAGE,  /* home, section front, tag or author page */
        PARSER_STUB,        /* paywall or consent wall, little text */
};
#define PARSER_REASONS (PARSER_STUB + 1)

struct parser_opts {
        int64_t min_words;
        int64_t max_body_bytes;
        bool lang_detect;
        bool non_articles; /* recognise and refuse non-articles (kind.c) */
        int64_t now_ms; /* 0: the clock */
        /* the article only serialised (res->json), not also as an object
         * (res->article): the daemon's way, one copy less of a large one */
        bool json_only;
        /* build libxml2's whole tree, attributes and comments included
         * (parser_html_parse_take(): the same article, more memory) */
        bool no_prune;
};

struct parser_result {
        char *json; /* owned: the article event serialised; NULL unless
                     * VL_OK */
        size_t json_len;
        json_t *article; /* owned: the same as an object; NULL unless VL_OK
                          * and !o->json_only */
        char id[33];
        int words;
        enum parser_reason reason;
};

/**
 * @brief The whole job for one page event: decode, convert, parse, extract,
 * build the article. @returns VL_OK with @p res->json (and
 * @p res->article unless o->json_only) set, or VL_REJECT
 * with a message for the dead-letter topic.
 */
enum vl_rc parser_article_from_event(const char *json, size_t len,
                                     const struct parser_opts *o,
                                     struct parser_result *res,
                                     struct vl_err *err);
/** @brief The same from a decoded page. */
enum vl_rc parser_article_build(const struct parser_page *pg,
                                const struct parser_opts *o,
                                struct parser_result *res,
                                struct vl_err *err);
void parser_result_release(struct parser_result *res);
const char *parser_reason_name(enum parser_reason r);

/* ------------------------------------------------------------------ kind.c */

/**
 * @brief Is the page an article? After the extraction: too short (fewer
 * words than o->min_words), then, when o->non_articles: an error page (an
 * error title, "Page not found", "Erreur 404", with little text), a
 * paywall or consent stub (their phrases with little text), an index page
 * (home, /tag/, /rubrique/, /author/... URL with neither a date nor much
 * text). @returns PARSER_OK or the reason.
 */
/** @returns true if @p text has a paywall or consent wall phrase ("La
 * suite est réservée aux abonnés", "Accept all cookies"). */
bool parser_kind_stub_text(const char *text);
enum parser_reason parser_kind(const struct parser_page *pg,
                               const struct parser_meta *m, const char *text,
                               int words, const struct parser_opts *o);

/* ----------------------------------------------------------------- stage.c */

/** @brief Fill @p st with the parser's callbacks, keys and defaults;
 * @p pc must outlive the stage. */
void parser_stage_setup(struct vl_stage *st, struct parser_conf *pc);
/** @brief Check the settings (VL_FATAL if invalid) and register the
 * metrics (@p m may be NULL). @p conf is the struct parser_conf, borrowed
 * for the life of the state. Main thread. */
enum vl_rc parser_stage_init(void **state, const struct vl_stage_conf *sc,
                             void *conf, struct vl_metrics *m,
                             struct vl_err *err);
/** @brief One page event in, one article record in @p out (key: the
 * article id), or VL_REJECT with the reason and nothing in @p out. */
enum vl_rc parser_stage_process(void *state, const struct vl_in *in,
                                struct vl_out *out, struct vl_err *err);
/** @brief One-shot mode: wrap the raw HTML of --file in a page event for
 * --url (default http://localhost/page) and --charset. @p value is new. */
enum vl_rc parser_stage_oneshot_input(void *state, const char *raw, size_t n,
                                      char **value, size_t *len,
                                      struct vl_err *err);
/** @brief Free the state (NULL is fine). */
void parser_stage_destroy(void *state);

/* ----------------------------------------------------------------- score.c */

/** Shingle length of the extraction metric. */
#define PARSER_SCORE_N 4

/** One page's counts, normalised by their sum, and its scores. */
struct parser_score_page {
        double tp, fp, fn;
        double precision, recall, f1;
};

/** A data set's running totals: zero-initialise, then add pages. */
struct parser_score {
        size_t pages;
        double p_sum, r_sum;
        size_t p_n, r_n; /* pages with tp+fp > 0, with tp+fn > 0 */
};

/**
 * @brief Score @p pred against @p truth with the word-shingle metric of the
 * ScrapingHub article-extraction benchmark: tokens are runs of Unicode word
 * characters (Python's `\w`: letters, numbers, '_'), shingles the
 * multisets of 4 consecutive tokens (one of all the tokens when fewer than
 * 4, none when no token), tp/fp/fn the shared, extra and missing shingles
 * divided by their sum. Precision tp/(tp+fp), recall tp/(tp+fn), both 1
 * when fp = fn = 0 and 0 when tp = 0. NULL is the empty text.
 */
void parser_score_page(const char *truth, const char *pred,
                       struct parser_score_page *sp);
/** @returns the number of word tokens of @p s, as the metric counts them. */
size_t parser_score_tokens(const char *s);
/** @brief Add a page: its precision counts when tp+fp > 0, its recall when
 * tp+fn > 0. */
void parser_score_add(struct parser_score *s,
                      const struct parser_score_page *p);
/** @brief The set's precision and recall (means over the pages that count)
 * and F1, their harmonic mean. */
void parser_score_result(const struct parser_score *s, double *precision,
                         double *recall, double *f1);

#endif
