/* The parser as a stage of the shared runner: configuration keys, state,
 * and the callbacks of struct vl_stage. */
#include <limits.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "veille/log.h"
#include "veille/mem.h"
#include "parser.h"

/* not the home page, which parser.non.articles would take for an index */
#define ONESHOT_DEFAULT_URL "http://localhost/page"

const struct vl_conf_key parser_conf_keys[] = {
        { "parser.min.words", VL_CONF_INT,
          offsetof(struct parser_conf, min_words), "20",
          "pages whose extracted text has fewer words are rejected", 0 },
        { "parser.max.body.bytes", VL_CONF_INT,
          offsetof(struct parser_conf, max_body_bytes), "10485760",
          "pages with a larger body are rejected", 0 },
        { "parser.lang.detect", VL_CONF_BOOL,
          offsetof(struct parser_conf, lang_detect), "true",
          "let the text overrule a declared language it plainly contradicts",
          0 },
        { "parser.non.articles", VL_CONF_BOOL,
          offsetof(struct parser_conf, non_articles), "true",
          "refuse what is not an article (error pages, home pages, section "
          "fronts and tag pages, paywall and consent stubs) with its reason; "
          "false: only parser.min.words applies", 0 },
        { "url", VL_CONF_STR, offsetof(struct parser_conf, url), NULL,
          "one-shot: the URL the --file page was fetched from", VL_CONF_CLI },
        { "charset", VL_CONF_STR, offsetof(struct parser_conf, charset), NULL,
          "one-shot: the charset an HTTP server would have announced",
          VL_CONF_CLI },
        { 0 },
};

struct parser_state {
        const struct parser_conf *pc;
        const struct vl_stage_conf *sc;
        atomic_ullong *results[PARSER_REASONS];
        atomic_ullong *words;
        /* one-shot mode: the file, borrowed from the runner, which keeps it
         * until the end, for the next process() (the page event wrapped
         * around it has no body) */
        const char *raw;
        size_t raw_len;
};

/* One-shot mode: the event from parser_stage_oneshot_input(), the body
 * the file itself (parser_page_decode_borrowed()). */
static enum vl_rc oneshot_build(struct parser_state *s, const struct vl_in *in,
                                const struct parser_opts *o,
                                struct parser_result *res, struct vl_err *err)
{
        struct parser_page pg;
        enum vl_rc rc;

        memset(res, 0, sizeof(*res));
        rc = parser_page_decode_borrowed(&pg, in->value, in->len, s->raw,
                                         s->raw_len, o->max_body_bytes, err);
        if (rc != VL_OK)
                res->reason = pg.too_large ? PARSER_TOO_LARGE :
                                             PARSER_BAD_EVENT;
        else
                rc = parser_article_build(&pg, o, res, err);
        parser_page_release(&pg);
        return rc;
}

enum vl_rc parser_stage_init(void **state, const struct vl_stage_conf *sc,
                             void *conf, struct vl_metrics *m,
                             struct vl_err *err)
{
        const struct parser_conf *pc = conf;
        struct parser_state *s;

        if (pc->min_words < 0)
                return vl_err_set(err, VL_FATAL,
                                  "invalid parser.min.words %lld",
                                  (long long)pc->min_words);
        if (pc->max_body_bytes <= 0 || pc->max_body_bytes >= INT_MAX)
                return vl_err_set(err, VL_FATAL,
                                  "invalid parser.max.body.bytes %lld: "
                                  "1 to %d", (long long)pc->max_body_bytes,
                                  INT_MAX - 1);
        s = vl_xcalloc(1, sizeof(*s));
        s->pc = pc;
        s->sc = sc;
        if (m) {
                static const char help[] =
                        "pages parsed, by result (article or why not)";

                s->results[PARSER_OK] = vl_metrics_counter(
                        m, "veille_parser_pages_total", "result=\"article\"",
                        help);
                s->results[PARSER_BAD_EVENT] = vl_metrics_counter(
                        m, "veille_parser_pages_total", "result=\"bad_event\"",
                        help);
                s->results[PARSER_TOO_LARGE] = vl_metrics_counter(
                        m, "veille_parser_pages_total", "result=\"too_large\"",
                        help);
                s->results[PARSER_NOT_HTML] = vl_metrics_counter(
                        m, "veille_parser_pages_total", "result=\"not_html\"",
                        help);
                s->results[PARSER_NO_TEXT] = vl_metrics_counter(
                        m, "veille_parser_pages_total", "result=\"no_text\"",
                        help);
                s->results[PARSER_TOO_SHORT] = vl_metrics_counter(
                        m, "veille_parser_pages_total",
                        "result=\"too_short\"", help);
                s->results[PARSER_ERROR_PAGE] = vl_metrics_counter(
                        m, "veille_parser_pages_total",
                        "result=\"error_page\"", help);
                s->results[PARSER_INDEX_PAGE] = vl_metrics_counter(
                        m, "veille_parser_pages_total",
                        "result=\"index_page\"", help);
                s->results[PARSER_STUB] = vl_metrics_counter(
                        m, "veille_parser_pages_total", "result=\"stub\"",
                        help);
                s->words = vl_metrics_counter(
                        m, "veille_parser_words_total", NULL,
                        "words of article text extracted");
        }
        *state = s;
        return VL_OK;
}

enum vl_rc parser_stage_process(void *state, const struct vl_in *in,
                                struct vl_out *out, struct vl_err *err)
{
        struct parser_state *s = state;
        struct parser_opts o;
        struct parser_result res;
        enum vl_rc rc;

        memset(&o, 0, sizeof(o));
        o.min_words = s->pc->min_words;
        o.max_body_bytes = s->pc->max_body_bytes;
        o.lang_detect = s->pc->lang_detect;
        o.non_articles = s->pc->non_articles;
        o.json_only = true;
        if (s->raw) {
                /* the one input of one-shot mode, made by
                 * parser_stage_oneshot_input() */
                rc = oneshot_build(s, in, &o, &res, err);
                s->raw = NULL;
        } else
                rc = parser_article_from_event(in->value, in->len, &o, &res,
                                               err);
        if (s->results[res.reason])
                atomic_fetch_add(s->results[res.reason], 1);
        if (rc != VL_OK)
                goto out;
        if (s->words)
                atomic_fetch_add(s->words, (unsigned long long)res.words);
        VL_DEBUG("parser", "article %s: %d words", res.id, res.words);
        vl_out_json_own(out, s->sc->output_topic, res.id, PARSER_CE_TYPE,
                        res.json, res.json_len);
        res.json = NULL;
out:
        parser_result_release(&res);
        return rc;
}

enum vl_rc parser_stage_oneshot_input(void *state, const char *raw, size_t n,
                                      char **value, size_t *len,
                                      struct vl_err *err)
{
        struct parser_state *s = state;
        const char *url = s->pc->url;
        json_t *ev;

        (void)err;
        /* a page event as the fetcher prints it (veille-fetcher --url ... |
         * veille-parser --file -) goes through as it is */
        ev = n && raw[0] == '{' ? json_loadb(raw, n, 0, NULL) : NULL;
        if (ev && json_is_string(json_object_get(ev, "body_b64")) && !url) {
                json_decref(ev);
                *value = vl_xmemdup(raw, n);
                *len = n;
                return VL_OK;
        }
        json_decref(ev);
        if (!url || !*url) {
                VL_WARN("parser", "no --url given, using '%s'",
                        ONESHOT_DEFAULT_URL);
                url = ONESHOT_DEFAULT_URL;
        }
        /* the file is the body as it is: neither base64 in the event nor
         * decoded back (a 10 MB page: 14 MB for the whole run, and 14 + 10
         * MB more while wrapped and decoded) */
        *value = parser_page_wrap(NULL, n, url, s->pc->charset, len);
        s->raw = raw;
        s->raw_len = n;
        return VL_OK;
}

void parser_stage_destroy(void *state)
{
        free(state);
}

void parser_stage_setup(struct vl_stage *st, struct parser_conf *pc)
{
        memset(st, 0, sizeof(*st));
        st->name = "parser";
        st->summary = "turn fetched pages into article events";
        st->input_topic = "veille.pages";
        st->output_topic = "veille.articles";
        st->keys = parser_conf_keys;
        st->conf = pc;
        st->init = parser_stage_init;
        st->process = parser_stage_process;
        st->oneshot_input = parser_stage_oneshot_input;
        st->destroy = parser_stage_destroy;
        st->raw_value = true; /* parser_page_decode() reads by length */
}
