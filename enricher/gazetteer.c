/* The alias table: every alias is tokenized and folded exactly as article
 * text is, and its word sequence is a key of one open-addressing hash table.
 * The proper prefixes of every key are in the table too (without aliases),
 * so that a scan stops at the first word sequence that no alias starts with:
 * most words cost one probe. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#include "veille/buf.h"
#include "veille/mem.h"
#include "enricher.h"

#define KEY_SEP ENRICHER_KEY_SEP

struct enricher_gz_slot {
        uint64_t h;
        uint32_t key, klen; /* the folded key (a prefix of an alias's key) */
        uint32_t alias;     /* first alias, or ENRICHER_NONE: prefix only */
        uint32_t used;
};

struct enricher_fn_ent {
        uint64_t h; /* hash of the first word */
        uint32_t alias;
};

/* Acronyms that are also common words: in an all-caps headline ("UN
 * SOLDAT", "IL Y A EU") they are words, not organisations. */
static const char *const acronym_words[] = {
        "a", "ai", "am", "an", "as", "at", "au", "aux", "bad", "be", "by",
        "car", "ce", "de", "des", "do", "du", "en", "est", "et", "eu", "ia",
        "if", "il", "in", "is", "it", "la", "le", "les", "ma", "me", "mi",
        "ne", "ni", "no", "of", "on", "or", "ou", "sa", "se", "si", "so",
        "ta", "te", "to", "tu", "un", "une", "up", "us", "va", "vu", "we",
        "who", "how", "why", "now", "new", "all", "any", "can", "may", "off",
        "one", "out", "per", "sur", "ici", "oui", "non", "pas", "mais",
};

const char *enricher_type_name(enum enricher_type t)
{
        switch (t) {
        case ENRICHER_PER:
                return "PER";
        case ENRICHER_ORG:
                return "ORG";
        case ENRICHER_LOC:
                return "LOC";
        }
        return "?";
}

struct enricher_gazetteer *enricher_gazetteer_new(void)
{
        struct enricher_gazetteer *gz = vl_xcalloc(1, sizeof(*gz));

        gz->nslot = 1024;
        gz->slot = vl_xcalloc(gz->nslot, sizeof(*gz->slot));
        gz->first = vl_xcalloc(ENRICHER_GZ_FIRST / 64, sizeof(*gz->first));
        gz->neslot = 256;
        gz->eslot = vl_xcalloc(gz->neslot, sizeof(*gz->eslot));
        return gz;
}

void enricher_gazetteer_destroy(struct enricher_gazetteer *gz)
{
        if (!gz)
                return;
        for (size_t i = 0; i < gz->nent; i++)
                free(gz->ent[i].name);
        free(gz->ent);
        free(gz->al);
        free(gz->sig);
        free(gz->keys);
        free(gz->slot);
        free(gz->first);
        free(gz->fn);
        free(gz->eslot);
        free(gz);
}

/* ---- the key table ------------------------------------------------------ */

static int key_equal(const struct enricher_gazetteer *gz,
                     const struct enricher_gz_slot *sl,
                     const struct enricher_tokens *tk, size_t i, size_t n)
{
        const char *k = gz->keys + sl->key, *end = k + sl->klen;

        for (size_t j = 0; j < n; j++) {
                size_t fl;
                const char *f = enricher_tok_fold(tk, i + j, &fl);

                if (j) {
                        if (k == end || *k != KEY_SEP)
                                return 0;
                        k++;
                }
                if ((size_t)(end - k) < fl || memcmp(k, f, fl) != 0)
                        return 0;
                k += fl;
        }
        return k == end;
}

int64_t enricher_gazetteer_find(const struct enricher_gazetteer *gz,
                                const struct enricher_tokens *tk, size_t i,
                                size_t n, uint64_t h)
{
        size_t mask = gz->nslot - 1;
        uint32_t b = (uint32_t)(h >> 40) & (ENRICHER_GZ_FIRST - 1);

        if (n == 1 && !(gz->first[b / 64] >> (b % 64) & 1))
                return -1;
        for (size_t s = (size_t)h & mask;; s = (s + 1) & mask) {
                const struct enricher_gz_slot *sl = &gz->slot[s];

                if (!sl->used)
                        return -1;
                if (sl->h == h && key_equal(gz, sl, tk, i, n))
                        return sl->alias;
        }
}

static void slot_grow(struct enricher_gazetteer *gz)
{
        struct enricher_gz_slot *old = gz->slot;
        size_t nold = gz->nslot;

        gz->nslot *= 2;
        gz->slot = vl_xcalloc(gz->nslot, sizeof(*gz->slot));
        for (size_t i = 0; i < nold; i++) {
                size_t s;

                if (!old[i].used)
                        continue;
                for (s = (size_t)old[i].h & (gz->nslot - 1); gz->slot[s].used;
                     s = (s + 1) & (gz->nslot - 1))
                        ;
                gz->slot[s] = old[i];
        }
        free(old);
}

/* Find or add the slot of tokens[0..n) of @p tk, whose folded key is
 * keys[key .. key+klen). */
static struct enricher_gz_slot *slot_get(struct enricher_gazetteer *gz,
                                         const struct enricher_tokens *tk,
                                         size_t n, uint64_t h, uint32_t key,
                                         uint32_t klen)
{
        size_t s, mask;

        if (n == 1) {
                uint32_t b = (uint32_t)(h >> 40) & (ENRICHER_GZ_FIRST - 1);

                gz->first[b / 64] |= 1ULL << (b % 64);
        }
        if ((gz->used + 1) * 2 > gz->nslot)
                slot_grow(gz);
        mask = gz->nslot - 1;
        for (s = (size_t)h & mask; gz->slot[s].used; s = (s + 1) & mask) {
                if (gz->slot[s].h == h && key_equal(gz, &gz->slot[s], tk, 0, n))
                        return &gz->slot[s];
        }
        gz->slot[s].used = 1;
        gz->slot[s].h = h;
        gz->slot[s].key = key;
        gz->slot[s].klen = klen;
        gz->slot[s].alias = ENRICHER_NONE;
        gz->used++;
        return &gz->slot[s];
}

/* ---- entities ----------------------------------------------------------- */

static uint64_t name_hash(const char *name)
{
        return enricher_hash_bytes(name, strlen(name));
}

int64_t enricher_gazetteer_entity(const struct enricher_gazetteer *gz,
                                  const char *name)
{
        size_t mask = gz->neslot - 1;

        for (size_t s = (size_t)name_hash(name) & mask; gz->eslot[s];
             s = (s + 1) & mask) {
                uint32_t e = gz->eslot[s] - 1;

                if (strcmp(gz->ent[e].name, name) == 0)
                        return e;
        }
        return -1;
}

static int64_t entity_find(const struct enricher_gazetteer *gz,
                           const char *name, enum enricher_type type)
{
        size_t mask = gz->neslot - 1;

        for (size_t s = (size_t)name_hash(name) & mask; gz->eslot[s];
             s = (s + 1) & mask) {
                uint32_t e = gz->eslot[s] - 1;

                if (gz->ent[e].type == type &&
                    strcmp(gz->ent[e].name, name) == 0)
                        return e;
        }
        return -1;
}

static void eslot_put(struct enricher_gazetteer *gz, uint32_t e)
{
        size_t mask = gz->neslot - 1, s;

        for (s = (size_t)name_hash(gz->ent[e].name) & mask; gz->eslot[s];
             s = (s + 1) & mask)
                ;
        gz->eslot[s] = e + 1;
}

static uint32_t entity_add(struct enricher_gazetteer *gz, const char *name,
                           enum enricher_type type, const char *qid)
{
        struct enricher_entity *en;

        if ((gz->nent + 1) * 2 > gz->neslot) {
                free(gz->eslot);
                gz->neslot *= 2;
                gz->eslot = vl_xcalloc(gz->neslot, sizeof(*gz->eslot));
                for (size_t e = 0; e < gz->nent; e++)
                        eslot_put(gz, (uint32_t)e);
        }
        if (gz->nent == gz->capent) {
                gz->capent = gz->capent ? gz->capent * 2 : 256;
                gz->ent = vl_xrealloc(gz->ent, gz->capent * sizeof(*gz->ent));
        }
        en = &gz->ent[gz->nent];
        memset(en, 0, sizeof(*en));
        en->name = vl_xstrdup(name);
        en->type = type;
        snprintf(en->qid, sizeof(en->qid), "%s", qid);
        eslot_put(gz, (uint32_t)gz->nent);
        return (uint32_t)gz->nent++;
}

/* ---- aliases ------------------------------------------------------------ */

static int is_acronym_word(const char *f, size_t n)
{
        for (size_t i = 0; i < sizeof(acronym_words) / sizeof(*acronym_words);
             i++) {
                if (strlen(acronym_words[i]) == n &&
                    memcmp(acronym_words[i], f, n) == 0)
                        return 1;
        }
        return 0;
}

static uint32_t keys_put(struct enricher_gazetteer *gz,
                         const struct enricher_tokens *tk, uint32_t *klen)
{
        size_t need = tk->flen + tk->n, off = gz->klen;

        if (gz->klen + need > gz->kcap) {
                gz->kcap = gz->kcap ? gz->kcap * 2 : 16384;
                while (gz->kcap < gz->klen + need)
                        gz->kcap *= 2;
                gz->keys = vl_xrealloc(gz->keys, gz->kcap);
        }
        for (size_t j = 0; j < tk->n; j++) {
                size_t fl;
                const char *f = enricher_tok_fold(tk, j, &fl);

                if (j)
                        gz->keys[gz->klen++] = KEY_SEP;
                memcpy(gz->keys + gz->klen, f, fl);
                gz->klen += fl;
        }
        *klen = (uint32_t)(gz->klen - off);
        return (uint32_t)off;
}

static int same_sigs(const struct enricher_gazetteer *gz,
                     const struct enricher_alias *a,
                     const struct enricher_tokens *tk)
{
        for (size_t j = 0; j < tk->n; j++) {
                if (gz->sig[a->sig + j].nlet != tk->v[j].nlet ||
                    gz->sig[a->sig + j].upmask != tk->v[j].upmask)
                        return 0;
        }
        return 1;
}

/* Add one alias of entity @p e; @p tk holds its tokens. */
static enum vl_rc alias_add(struct enricher_gazetteer *gz, uint32_t e,
                            const struct enricher_tokens *tk, int anaphor,
                            const char *where, struct vl_err *err)
{
        struct enricher_gz_slot *sl = NULL;
        struct enricher_alias *a;
        uint64_t h = ENRICHER_SEQ_SEED;
        uint32_t key, klen, *link;
        unsigned letters = 0, flags = 0;

        if (tk->n == 0)
                return VL_OK; /* nothing but punctuation: ignore */
        if (tk->n > ENRICHER_MAX_TOK)
                return vl_err_set(err, VL_FATAL,
                                  "%s: alias of more than %d words", where,
                                  ENRICHER_MAX_TOK);
        for (size_t j = 0; j < tk->n; j++) {
                letters += tk->v[j].nlet;
                if (tk->v[j].upmask & ~1u)
                        flags |= ENRICHER_ALIAS_EXACT;
                if (tk->v[j].flags & ENRICHER_TOK_CAP)
                        flags |= ENRICHER_ALIAS_PROPER;
        }
        if (letters < 2)
                return vl_err_set(err, VL_FATAL,
                                  "%s: alias of fewer than 2 letters", where);
        if (letters < 4)
                flags |= ENRICHER_ALIAS_EXACT;
        if (anaphor)
                flags |= ENRICHER_ALIAS_ANAPHOR;
        if ((flags & ENRICHER_ALIAS_EXACT) && tk->n == 1) {
                size_t fl;
                const char *f = enricher_tok_fold(tk, 0, &fl);

                if (is_acronym_word(f, fl))
                        flags |= ENRICHER_ALIAS_STOPWORD;
        }
        key = keys_put(gz, tk, &klen);
        /* the prefixes first, then the key itself */
        for (size_t j = 0, plen = 0; j < tk->n; j++) {
                plen += (j ? 1 : 0) + (tk->v[j].f1 - tk->v[j].f0);
                h = enricher_hash_seq(h, tk->v[j].h);
                sl = slot_get(gz, tk, j + 1, h, key, (uint32_t)plen);
        }
        /* same spelling, same entity, same letter case: a duplicate (its
         * key bytes stay: new prefix slots may point into them) */
        for (uint32_t x = sl->alias; x != ENRICHER_NONE; x = gz->al[x].next) {
                if (gz->al[x].entity == e && gz->al[x].ntok == tk->n &&
                    gz->al[x].flags == flags && same_sigs(gz, &gz->al[x], tk))
                        return VL_OK;
        }
        if (gz->nsig + tk->n > gz->capsig) {
                gz->capsig = gz->capsig ? gz->capsig * 2 : 4096;
                while (gz->capsig < gz->nsig + tk->n)
                        gz->capsig *= 2;
                gz->sig = vl_xrealloc(gz->sig, gz->capsig * sizeof(*gz->sig));
        }
        if (gz->nal == gz->capal) {
                gz->capal = gz->capal ? gz->capal * 2 : 1024;
                gz->al = vl_xrealloc(gz->al, gz->capal * sizeof(*gz->al));
        }
        a = &gz->al[gz->nal];
        a->entity = e;
        a->file = gz->nfiles;
        a->sig = (uint32_t)gz->nsig;
        a->key = key;
        a->klen = (uint16_t)(klen > UINT16_MAX ? UINT16_MAX : klen);
        a->ntok = (uint8_t)tk->n;
        a->flags = (uint8_t)flags;
        for (size_t j = 0; j < tk->n; j++) {
                gz->sig[gz->nsig].nlet = tk->v[j].nlet;
                gz->sig[gz->nsig].upmask = tk->v[j].upmask;
                gz->nsig++;
        }
        /* later files first; within one file, in the order of the file */
        for (link = &sl->alias; *link != ENRICHER_NONE &&
                                gz->al[*link].file >= a->file;
             link = &gz->al[*link].next)
                ;
        a->next = *link;
        *link = (uint32_t)gz->nal;
        gz->nal++;
        if (tk->n > gz->maxtok)
                gz->maxtok = (unsigned)tk->n;
        return VL_OK;
}

/* ---- the first-word index of people's full names ------------------------ */

static int fn_cmp(const void *a, const void *b)
{
        const struct enricher_fn_ent *x = a, *y = b;

        if (x->h != y->h)
                return x->h < y->h ? -1 : 1;
        return x->alias < y->alias ? -1 : x->alias > y->alias;
}

static void fn_build(struct enricher_gazetteer *gz)
{
        size_t n = 0;

        free(gz->fn);
        gz->fn = vl_xmalloc((gz->nal + 1) * sizeof(*gz->fn));
        for (size_t a = 0; a < gz->nal; a++) {
                const struct enricher_alias *al = &gz->al[a];
                const char *k = gz->keys + al->key, *sep;

                if (al->ntok < 2 || gz->ent[al->entity].type != ENRICHER_PER ||
                    (al->flags & ENRICHER_ALIAS_ANAPHOR))
                        continue;
                sep = memchr(k, KEY_SEP, al->klen);
                gz->fn[n].h = enricher_hash_bytes(k, (size_t)(sep - k));
                gz->fn[n].alias = (uint32_t)a;
                n++;
        }
        qsort(gz->fn, n, sizeof(*gz->fn), fn_cmp);
        gz->nfn = n;
}

size_t enricher_gazetteer_by_first(const struct enricher_gazetteer *gz,
                                   uint64_t h, size_t *first)
{
        size_t lo = 0, hi = gz->nfn, n = 0;

        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;

                if (gz->fn[mid].h < h)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        *first = lo;
        while (lo + n < gz->nfn && gz->fn[lo + n].h == h)
                n++;
        return n;
}

uint32_t enricher_gazetteer_fn_alias(const struct enricher_gazetteer *gz,
                                     size_t k)
{
        return gz->fn[k].alias;
}

/* ---- the TSV format ----------------------------------------------------- */

static char *trim(char *s)
{
        char *e;

        while (*s == ' ')
                s++;
        e = s + strlen(s);
        while (e > s && (e[-1] == ' ' || e[-1] == '\r'))
                *--e = '\0';
        return s;
}

static int valid_qid(const char *q)
{
        size_t n = strlen(q);

        if (n < 2 || n > 14 || q[0] != 'Q' || q[1] == '0')
                return 0;
        for (size_t i = 1; i < n; i++) {
                if (!isdigit((unsigned char)q[i]))
                        return 0;
        }
        return 1;
}

static enum vl_rc load_line(struct enricher_gazetteer *gz,
                            struct enricher_tokens *tk, char *line,
                            const char *where, struct vl_err *err)
{
        char *field[4] = {0};
        char *p = line, *name, *tname, *aliases, *a, none[1] = "";
        const char *qid;
        enum enricher_type type;
        int64_t e;
        int nf = 0;
        enum vl_rc rc;

        while (nf < 4) {
                field[nf++] = p;
                p = strchr(p, '\t');
                if (!p)
                        break;
                *p++ = '\0';
        }
        if (nf < 2 || p)
                return vl_err_set(err, VL_FATAL,
                                  "%s: expected 2 to 4 tab-separated fields",
                                  where);
        name = trim(field[0]);
        tname = trim(field[1]);
        qid = field[2] ? trim(field[2]) : "";
        aliases = field[3] ? field[3] : none;
        if (!*name)
                return vl_err_set(err, VL_FATAL, "%s: empty canonical name",
                                  where);
        if (strcmp(tname, "PER") == 0)
                type = ENRICHER_PER;
        else if (strcmp(tname, "ORG") == 0)
                type = ENRICHER_ORG;
        else if (strcmp(tname, "LOC") == 0)
                type = ENRICHER_LOC;
        else
                return vl_err_set(err, VL_FATAL,
                                  "%s: unknown type '%s' (PER, ORG or LOC)",
                                  where, tname);
        if (strcmp(qid, "-") == 0 || strcmp(qid, "null") == 0)
                qid = "";
        if (*qid && !valid_qid(qid))
                return vl_err_set(err, VL_FATAL, "%s: invalid Wikidata id '%s'",
                                  where, qid);
        e = entity_find(gz, name, type);
        if (e < 0) {
                e = entity_add(gz, name, type, qid);
        } else if (*qid) {
                snprintf(gz->ent[e].qid, sizeof(gz->ent[e].qid), "%s", qid);
        }
        enricher_tokenize(tk, name, strlen(name));
        if (type == ENRICHER_PER && tk->n)
                gz->ent[e].last_h = tk->v[tk->n - 1].h;
        rc = alias_add(gz, (uint32_t)e, tk, 0, where, err);
        if (rc != VL_OK)
                return rc;
        for (a = aliases; a;) {
                char *next = strchr(a, '|');
                int anaphor = 0;

                if (next)
                        *next++ = '\0';
                a = trim(a);
                if (*a == '~') {
                        anaphor = 1;
                        a++;
                }
                if (*a) {
                        enricher_tokenize(tk, a, strlen(a));
                        rc = alias_add(gz, (uint32_t)e, tk, anaphor, where,
                                       err);
                        if (rc != VL_OK)
                                return rc;
                }
                a = next;
        }
        return VL_OK;
}

enum vl_rc enricher_gazetteer_load_mem(struct enricher_gazetteer *gz,
                                       const char *name, const char *data,
                                       size_t len, struct vl_err *err)
{
        struct enricher_tokens tk;
        char *copy = vl_xstrndup(data, len), *line = copy, *nl;
        char where[512];
        unsigned lineno = 0;
        enum vl_rc rc = VL_OK;

        for (size_t i = 0, ln = 1; i < len;) {
                utf8proc_int32_t cp;
                utf8proc_ssize_t k = utf8proc_iterate(
                        (const utf8proc_uint8_t *)data + i,
                        (utf8proc_ssize_t)(len - i), &cp);

                if (k <= 0) {
                        free(copy);
                        return vl_err_set(err, VL_FATAL,
                                          "%s:%zu: invalid UTF-8", name, ln);
                }
                ln += cp == '\n';
                i += (size_t)k;
        }
        gz->nfiles++;
        enricher_tokens_init(&tk);
        for (; line; line = nl) {
                nl = strchr(line, '\n');
                if (nl)
                        *nl++ = '\0';
                lineno++;
                if (line[strspn(line, " \t\r")] == '\0' || line[0] == '#')
                        continue;
                snprintf(where, sizeof(where), "%s:%u", name, lineno);
                rc = load_line(gz, &tk, line, where, err);
                if (rc != VL_OK)
                        goto out;
        }
        fn_build(gz);
out:
        enricher_tokens_release(&tk);
        free(copy);
        return rc;
}

enum vl_rc enricher_gazetteer_load(struct enricher_gazetteer *gz,
                                   const char *path, struct vl_err *err)
{
        struct vl_buf b;
        enum vl_rc rc;

        vl_buf_init(&b, 64u << 20);
        rc = vl_buf_read_file(&b, path, err);
        if (rc != VL_OK) {
                char why[sizeof(err->msg)];

                snprintf(why, sizeof(why), "%s", err->msg);
                rc = vl_err_set(err, VL_FATAL, "cannot load gazetteer: %s",
                                why);
                goto out;
        }
        rc = enricher_gazetteer_load_mem(gz, path, b.data ? b.data : "", b.len,
                                         err);
out:
        vl_buf_release(&b);
        return rc;
}
