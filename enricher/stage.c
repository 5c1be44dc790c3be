/* The stage callbacks: an article event in, the same object enriched out. */
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "veille/codec.h"
#include "veille/log.h"
#include "veille/mem.h"
#include "enricher.h"
#include "enricher_model.h"

#ifndef VEILLE_ENRICHER_GAZETTEER
#define VEILLE_ENRICHER_GAZETTEER "gazetteer.tsv"
#endif
#ifndef VEILLE_ENRICHER_MODEL
#define VEILLE_ENRICHER_MODEL "ner-model.bin"
#endif

#define ARTICLE_SCHEMA "veille.article.v1"
#define ENRICHED_SCHEMA "veille.enriched.v1"
#define ENRICHED_TYPE "org.veille.enriched.v1"

struct enricher_state {
        const struct enricher_conf *cf;
        const struct vl_stage_conf *sc;
        struct enricher_gazetteer *gz;
        struct enricher_model *model; /* NULL: no statistical tagger */
        struct enricher_tag *tg;
        atomic_ullong *entities, *mentions;
};

#define F(x) offsetof(struct enricher_conf, x)
const struct vl_conf_key enricher_keys[] = {
        {"enricher.gazetteer", VL_CONF_STR, F(gazetteer),
         VEILLE_ENRICHER_GAZETTEER,
         "gazetteer file: canonical<TAB>PER|ORG|LOC<TAB>qid<TAB>alias|alias "
         "(if the default is missing, gazetteer.tsv next to the binary and "
         "../share/veille/gazetteer.tsv are tried)", 0},
        {"enricher.user.aliases", VL_CONF_STR, F(user_aliases), NULL,
         "extra file of the same format loaded on top of the gazetteer "
         "(reloaded on SIGHUP)", 0},
        {"enricher.model", VL_CONF_STR, F(model), VEILLE_ENRICHER_MODEL,
         "statistical tagger for names the gazetteer does not know (made by "
         "veille-enricher-train); empty: none (if the default is missing, "
         "ner-model.bin next to the binary and ../share/veille/ are tried)",
         0},
        {"enricher.max.text.bytes", VL_CONF_INT, F(max_text_bytes), "4194304",
         "articles whose text is longer are rejected", 0},
        {0},
};
#undef F

/* ---- the tables --------------------------------------------------------- */

/* A data file of an installed binary: next to it, or in ../share/veille.
 * @returns 0 and the path in @p path, or -1. */
static int installed_path(const char *name, char *path, size_t size)
{
        static const char *const rel[] = {"", "../share/veille/"};
        char exe[PATH_MAX], *slash;
        ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

        if (n <= 0)
                return -1;
        exe[n] = '\0';
        slash = strrchr(exe, '/');
        if (!slash)
                return -1;
        *slash = '\0';
        for (size_t i = 0; i < sizeof(rel) / sizeof(*rel); i++) {
                snprintf(path, size, "%s/%s%s", exe, rel[i], name);
                if (access(path, R_OK) == 0)
                        return 0;
        }
        return -1;
}

static enum vl_rc load_installed(struct enricher_gazetteer *gz,
                                 struct vl_err *err)
{
        char path[PATH_MAX + 64];

        if (installed_path("gazetteer.tsv", path, sizeof(path)) != 0)
                return VL_FATAL;
        return enricher_gazetteer_load(gz, path, err);
}

/* The model of enricher.model: NULL in @p out when the key is empty. */
static enum vl_rc load_model(const struct enricher_conf *cf,
                             struct enricher_model **out, struct vl_err *err)
{
        char path[PATH_MAX + 64];
        const char *p = cf->model;

        *out = NULL;
        if (!p || !*p)
                return VL_OK;
        if (strcmp(p, VEILLE_ENRICHER_MODEL) == 0 && access(p, R_OK) != 0 &&
            installed_path("ner-model.bin", path, sizeof(path)) == 0)
                p = path;
        if (enricher_model_load(out, p, err) != VL_OK)
                return VL_FATAL;
        VL_INFO("enricher", "model: %s (%zu features)", p, (*out)->used);
        return VL_OK;
}

static enum vl_rc load_tables(const struct enricher_conf *cf,
                              struct enricher_gazetteer **out,
                              struct vl_err *err)
{
        struct enricher_gazetteer *gz = enricher_gazetteer_new();
        const char *path = cf->gazetteer && *cf->gazetteer
                                   ? cf->gazetteer
                                   : VEILLE_ENRICHER_GAZETTEER;
        enum vl_rc rc;

        if (strcmp(path, VEILLE_ENRICHER_GAZETTEER) == 0 &&
            access(path, R_OK) != 0 && load_installed(gz, err) == VL_OK)
                rc = VL_OK;
        else
                rc = enricher_gazetteer_load(gz, path, err);
        if (rc == VL_OK && cf->user_aliases && *cf->user_aliases)
                rc = enricher_gazetteer_load(gz, cf->user_aliases, err);
        if (rc != VL_OK) {
                enricher_gazetteer_destroy(gz);
                return rc;
        }
        VL_INFO("enricher", "gazetteer: %zu entities, %zu aliases", gz->nent,
                gz->nal);
        *out = gz;
        return VL_OK;
}

/* ---- stage callbacks ---------------------------------------------------- */

enum vl_rc enricher_init(void **state, const struct vl_stage_conf *sc,
                         void *conf, struct vl_metrics *m, struct vl_err *err)
{
        struct enricher_state *es = vl_xcalloc(1, sizeof(*es));
        enum vl_rc rc;

        es->cf = conf;
        es->sc = sc;
        rc = load_tables(es->cf, &es->gz, err);
        if (rc != VL_OK) {
                free(es);
                return rc;
        }
        rc = load_model(es->cf, &es->model, err);
        if (rc != VL_OK) {
                enricher_gazetteer_destroy(es->gz);
                free(es);
                return rc;
        }
        es->tg = enricher_tag_new(es->gz);
        enricher_tag_set_model(es->tg, es->model);
        if (m) {
                es->entities = vl_metrics_counter(
                        m, "veille_enricher_entities_total", NULL,
                        "distinct entities found in articles");
                es->mentions = vl_metrics_counter(
                        m, "veille_enricher_mentions_total", NULL,
                        "entity mentions found in articles");
        }
        *state = es;
        return VL_OK;
}

enum vl_rc enricher_reload(void *state, struct vl_err *err)
{
        struct enricher_state *es = state;
        struct enricher_gazetteer *gz;
        struct enricher_model *model = NULL;
        enum vl_rc rc = load_tables(es->cf, &gz, err);

        if (rc == VL_OK) {
                rc = load_model(es->cf, &model, err);
                if (rc != VL_OK)
                        enricher_gazetteer_destroy(gz);
        }
        if (rc != VL_OK) {
                VL_WARN("enricher", "reload failed, keeping the old tables: %s",
                        err->msg);
                return VL_OK;
        }
        enricher_tag_destroy(es->tg);
        enricher_gazetteer_destroy(es->gz);
        enricher_model_destroy(es->model);
        es->gz = gz;
        es->model = model;
        es->tg = enricher_tag_new(gz);
        enricher_tag_set_model(es->tg, model);
        return VL_OK;
}

void enricher_destroy(void *state)
{
        struct enricher_state *es = state;

        if (!es)
                return;
        enricher_tag_destroy(es->tg);
        enricher_gazetteer_destroy(es->gz);
        enricher_model_destroy(es->model);
        free(es);
}

static json_t *entities_json(const struct enricher_tag *tg, const char *title,
                             const char *text)
{
        json_t *arr = json_array(), **mentions;

        if (!tg->ng)
                return arr;
        mentions = vl_xmalloc(tg->ng * sizeof(*mentions));
        for (size_t k = 0; k < tg->ng; k++) {
                const struct enricher_group *g = &tg->g[k];
                const char *qid = g->entity >= 0 ? tg->gz->ent[g->entity].qid
                                                 : "";
                size_t nl;
                const char *name = enricher_tag_group_name(tg, g, &nl);

                json_t *ent = json_object();

                json_object_set_new(ent, "type",
                                    json_string(enricher_type_name(g->type)));
                json_object_set_new(ent, "name", json_stringn(name, nl));
                json_object_set_new(ent, "qid",
                                    *qid ? json_string(qid) : json_null());
                json_object_set_new(ent, "salience", json_real(g->salience));
                json_object_set_new(ent, "count",
                                    json_integer((json_int_t)g->count));
                mentions[k] = json_array(); /* borrowed: ent holds it */
                json_object_set_new(ent, "mentions", mentions[k]);
                json_array_append_new(arr, ent);
        }
        for (size_t k = 0; k < tg->nm; k++) {
                const struct enricher_mention *m = &tg->m[k];
                const char *src = m->where == ENRICHER_IN_TITLE ? title : text;

                json_t *jm = json_object();

                json_object_set_new(jm, "start",
                                    json_integer((json_int_t)m->start));
                json_object_set_new(jm, "end",
                                    json_integer((json_int_t)m->end));
                json_object_set_new(jm, "text",
                                    json_stringn(src + m->bstart,
                                                 m->bend - m->bstart));
                json_object_set_new(jm, "in",
                                    json_string(m->where == ENRICHER_IN_TITLE
                                                        ? "title" : "text"));
                json_array_append_new(mentions[m->group], jm);
        }
        free(mentions);
        return arr;
}

enum vl_rc enricher_enrich_json(void *state, json_t *article,
                                struct vl_err *err)
{
        struct enricher_state *es = state;
        json_t *schema, *jtext, *jtitle, *jid;
        const char *text, *title = NULL;
        size_t len, tlen = 0;
        char fp[17], now[32];

        if (!json_is_object(article))
                return vl_err_set(err, VL_REJECT,
                                  "article is not a JSON object");
        schema = json_object_get(article, "schema");
        if (schema && (!json_is_string(schema) ||
                       strcmp(json_string_value(schema), ARTICLE_SCHEMA) != 0))
                return vl_err_set(err, VL_REJECT,
                                  "unexpected schema '%.64s' (want %s)",
                                  json_is_string(schema)
                                          ? json_string_value(schema) : "?",
                                  ARTICLE_SCHEMA);
        jid = json_object_get(article, "id");
        if (!json_is_string(jid) || json_string_length(jid) == 0)
                return vl_err_set(err, VL_REJECT, "article without an id");
        jtext = json_object_get(article, "text");
        if (!json_is_string(jtext))
                return vl_err_set(err, VL_REJECT,
                                  "article '%.40s' without a text",
                                  json_string_value(jid));
        text = json_string_value(jtext);
        len = json_string_length(jtext);
        if (es->cf->max_text_bytes > 0 &&
            len > (size_t)es->cf->max_text_bytes)
                return vl_err_set(err, VL_REJECT,
                                  "article '%.40s' text too long (%zu bytes > "
                                  "%lld)", json_string_value(jid), len,
                                  (long long)es->cf->max_text_bytes);
        if (len > UINT32_MAX / 2)
                return vl_err_set(err, VL_REJECT, "text too long (%zu bytes)",
                                  len);
        jtitle = json_object_get(article, "title");
        if (json_is_string(jtitle)) {
                title = json_string_value(jtitle);
                tlen = json_string_length(jtitle);
                if (tlen > 65536)
                        tlen = 0; /* not a title: ignore rather than reject */
        }
        enricher_tag_article(es->tg, title, tlen, text, len);
        snprintf(fp, sizeof(fp), "%016llx",
                 (unsigned long long)enricher_fingerprint_simhash(
                         &es->tg->text));
        vl_time_rfc3339(now);
        json_object_set_new(article, "schema", json_string(ENRICHED_SCHEMA));
        json_object_set_new(article, "entities",
                            entities_json(es->tg, title, text));
        json_object_set_new(article, "fingerprint",
                            json_pack("{s:s}", "simhash", fp));
        json_object_set_new(article, "duplicate_of", json_null());
        json_object_set_new(article, "enriched_at", json_string(now));
        if (es->entities)
                atomic_fetch_add(es->entities, es->tg->ng);
        if (es->mentions)
                atomic_fetch_add(es->mentions, es->tg->nm);
        return VL_OK;
}

enum vl_rc enricher_process(void *state, const struct vl_in *in,
                            struct vl_out *out, struct vl_err *err)
{
        struct enricher_state *es = state;
        json_error_t jerr;
        json_t *article;
        enum vl_rc rc;
        char id[256];

        article = json_loadb(in->value, in->len, JSON_REJECT_DUPLICATES, &jerr);
        if (!article)
                return vl_err_set(err, VL_REJECT,
                                  "invalid article JSON: %s (line %d, column "
                                  "%d)", jerr.text, jerr.line, jerr.column);
        rc = enricher_enrich_json(es, article, err);
        if (rc != VL_OK) {
                json_decref(article);
                return rc;
        }
        snprintf(id, sizeof(id), "%s",
                 json_string_value(json_object_get(article, "id")));
        vl_out_json_take(out, es->sc->output_topic, id, ENRICHED_TYPE, article);
        return VL_OK;
}
