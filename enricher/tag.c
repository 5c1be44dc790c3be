/*
 * Tagging one article, left to right, each word at most once:
 *
 *  1. boilerplate lines ("LIRE AUSSI : ...", lists after "Articles de la
 *     même rubrique") are marked and never tagged;
 *  2. at each word, the longest gazetteer alias that starts there and whose
 *     case rules hold: acronyms and short aliases need the same letter case
 *     (and an acronym that is also a word, "UN", none in an all-caps
 *     headline); proper names need their capitals (the first word may be
 *     lowercase: "l'alliance des États du Sahel"); "~" aliases need an
 *     earlier full mention. Outside Title Case headlines, a one-word alias
 *     glued to an unclaimed capitalised word ("Denzel Washington") and a
 *     place or organisation followed by one more capitalised word ("New
 *     York Times", "Berlin Wall") are taken as parts of longer names;
 *  3. a name this article introduced, if longer: a surname after a full name
 *     ("Camara" after "Sadio Camara", unless another first name precedes
 *     it), or again a full name found by rule;
 *  4. else a person's full name from the gazetteer with one typo in a word
 *     of 5+ letters (first word exact): "Celestin Simpone";
 *  5. else a title ("le ministre de la Défense [du Mali]", "le général",
 *     "M.") then 2-4 capitalised words that nothing else claimed and that
 *     are not an organisation ("High School"): a person with no qid;
 *  6. else a byline line "Par André-Martin Bado".
 *
 * Then the statistical tagger's names (rule_model()) where nothing above
 * matched. Mentions are grouped by entity (gazetteer) or by folded name
 * (names found by rule or tagger; one folded name gets one type per
 * article: one_type()); salience mixes title, lead paragraph and
 * frequency.
 */
#include <stdlib.h>
#include <string.h>
#include "veille/mem.h"
#include "enricher_model.h"
#include "enricher.h"

#define ENRICHER_LOCAL_MAX 6
#define ORG_MAX_TOK 8 /* words in an organisation found by its head word */

/* A name introduced by this article: a person's full name found by rule,
 * or the surname of any person's full name. */
struct enricher_local {
        uint64_t h; /* sequence hash of its words */
        uint32_t group;
        uint32_t ntok;
};

/* All folded: lowercase, no accents. */
static const char *const title_words[] = {
        "president", "presidente", "ministre", "minister", "general",
        "generale", "capitaine", "captain", "colonel", "lieutenant",
        "commandant", "marechal", "chef", "ambassadeur", "ambassadrice",
        "ambassador", "secretaire", "secretary", "senateur", "senator",
        "depute", "deputee", "gouverneur", "governor", "maire", "mayor",
        "roi", "king", "reine", "queen", "prince", "princesse", "imam",
        "cheikh", "sheikh", "emir", "pape", "pope", "cardinal", "sergent",
        "sergeant", "caporal", "adjudant", "amiral", "admiral", "commissaire",
        "juge", "judge", "procureur", "prosecutor", "chancelier",
        "chancellor", "docteur", "professeur", "monsieur", "madame",
        "vice", "porte", "parole", "spokesman", "spokeswoman", "spokesperson",
        "premier", "colonel-major",
};
static const char *const abbrev_words[] = {
        "m", "mme", "mlle", "mr", "mrs", "ms", "dr", "pr", "me", "mgr",
};
/* capitalised words of a function that are not names */
static const char *const role_words[] = {
        "defense", "defence", "affaires", "etrangeres", "etranger",
        "interieur", "economie", "finances", "justice", "communication",
        "culture", "arts", "tourisme", "sante", "transition", "republique",
        "etat", "state", "armees", "armee", "army", "securite", "security",
        "foreign", "affairs", "interior", "brigade", "corps", "division",
        "staff", "forces", "gouvernement", "government", "conseil",
        "council", "assemblee", "assembly", "nation", "nationale", "anciens",
        "combattants", "cooperation", "integration", "africaine",
        "exterieur", "jeunesse", "sports", "education", "enseignement",
        "recherche", "agriculture", "environnement", "energie", "mines",
        "commerce", "industrie", "transports", "infrastructures",
        "administration", "territoriale", "decentralisation", "fonction",
        "publique", "travail", "emploi", "femme", "femmes", "famille",
        "solidarite", "action", "humanitaire", "reconciliation",
        "refondation", "ministere", "ministry", "mission", "nations",
        "unies", "major", "majeur", "adjoint", "delegue", "charge",
        "superieur", "supreme", "haut", "haute", "commandement", "command",
        "operations", "terre", "air", "mer", "gendarmerie", "police",
        "garde", "guard", "renseignement", "intelligence", "commission",
        "union", "parlement", "parliament", "senat", "senate", "cour",
        "court", "office", "bureau", "agence", "agency", "general",
        "executif", "executive", "relations", "internationales",
        "exterieures", "regional", "regionale", "integration", "sahel",
        "faso",
};
/* words that link a title to its complement */
static const char *const link_words[] = {
        "de", "du", "des", "la", "le", "les", "l", "d", "of", "the", "et",
        "and", "en", "au", "aux", "a", "for", "pour", "chargee", "charge",
};
/* capitalised at the start of a sentence without being names */
static const char *const function_words[] = {
        "le", "la", "les", "l", "de", "du", "des", "d", "un", "une", "et",
        "ou", "selon", "pour", "par", "avec", "mais", "quand", "lorsque",
        "alors", "ainsi", "car", "donc", "puis", "the", "a", "an", "of",
        "and", "for", "by", "with", "but", "when", "as", "at", "to", "in",
        "on", "after", "apres", "avant", "depuis", "pendant", "chez",
        "sous", "sur", "vers", "contre", "entre", "dans", "au", "aux", "ce",
        "cette", "ces", "son", "sa", "ses", "leur", "leurs", "notre", "nos",
        "votre", "vos", "il", "elle", "ils", "elles", "on", "nous", "vous",
        "je", "tu", "hier", "demain", "lundi", "mardi", "mercredi", "jeudi",
        "vendredi", "samedi", "dimanche", "monday", "tuesday", "wednesday",
        "thursday", "friday", "saturday", "sunday", "janvier", "fevrier",
        "mars", "avril", "mai", "juin", "juillet", "aout", "septembre",
        "octobre", "novembre", "decembre", "january", "february", "march",
        "april", "may", "june", "july", "august", "september", "october",
        "november", "december", "si", "if", "while", "comme", "tandis",
        "enfin", "outre", "malgre", "sans", "this", "that", "these", "those",
        "his", "her", "their", "our", "its", "he", "she", "they", "we",
        "it", "i", "mr", "mrs", "ms", "m", "mme", "dr", "cher", "chers",
};

/* capitalised, they begin the name of an organisation: "Alliance des
 * États du Sahel", "Agence d'Information du Burkina", "Bank of England" */
static const char *const org_head_words[] = {
        "agence", "alliance", "armee", "assemblee", "association",
        "autorite", "banque", "coalition", "comite", "commission",
        "communaute", "compagnie", "confederation", "conseil", "federation",
        "fondation", "fonds", "front", "institut", "ministere", "mouvement",
        "organisation", "parti", "rassemblement", "societe", "syndicat",
        "union", "universite", "agency", "assembly", "association", "bank",
        "coalition", "commission", "committee", "confederation", "council",
        "federation", "foundation", "fund", "institute", "ministry",
        "movement", "organization", "party", "university",
};

/* words that make a capitalised run an organisation or a place, not a
 * person ("Grace King High School", "Calty Design Research Inc") */
static const char *const nonname_words[] = {
        "school", "high", "university", "universite", "college", "lycee",
        "ecole", "institute", "institut", "academy", "academie", "road",
        "street", "avenue", "boulevard", "rue", "place", "square", "bridge",
        "pont", "inc", "ltd", "llc", "corp", "corporation", "company",
        "compagnie", "group", "groupe", "holding", "holdings", "bank",
        "banque", "hotel", "club", "city", "ville", "county", "airport",
        "aeroport", "hospital", "hopital", "church", "eglise", "mosque",
        "mosquee", "cathedral", "cathedrale", "party", "parti", "times",
        "post", "news", "daily", "journal", "tribune", "herald", "radio",
        "tv", "television", "research", "design", "foundation", "fondation",
        "association", "center", "centre", "stadium", "stade", "park", "parc",
        "museum", "musee", "palace", "palais", "tower", "tour", "river",
        "fleuve", "lake", "lac", "mount", "mont", "island", "ile", "north",
        "south", "east", "west", "nord", "sud", "est", "ouest", "sa",
        "sarl", "plc", "gmbh", "airlines", "airways", "motors", "systems",
        "technologies", "media", "press", "presse", "cup", "coupe", "league",
        "ligue", "fc", "festival", "summit", "sommet", "forum", "award",
        "awards", "prize", "prix", "act", "law", "loi", "day", "jour",
};
/* lowercase words after a title that are not the adjective of a role */
static const char *const verb_words[] = {
        "said", "says", "told", "tells", "has", "have", "had", "was",
        "were", "is", "are", "will", "would", "could", "should", "must",
        "might", "did", "does", "added", "announced", "urged", "asked",
        "called", "met", "visited", "thanked", "welcomed", "est", "etait",
        "sera", "avait", "aura", "dit", "declare", "annonce", "affirme",
        "indique", "souligne", "explique", "precise", "estime", "ajoute",
        "recu", "rencontre", "salue", "accueille", "appelle", "demande",
        "qui", "que", "dont", "lors", "avec", "sans", "pour", "sur", "chez",
        "vers", "contre", "dans", "entre", "depuis", "selon", "lui", "leur",
        "with", "from", "when", "after", "before", "during", "about",
        "also", "aussi", "egalement", "deja", "already", "then", "puis",
};

/* Boilerplate: a line that starts with one of these is a teaser; a line
 * that is exactly one of the headings ends the article proper. */
static const char *const teaser_lines[] = {
        "lire aussi", "a lire aussi", "lire egalement", "a lire egalement",
        "voir aussi", "a voir aussi", "read also", "read more", "see also",
        "also read", "a lire",
};
static const char *const end_headings[] = {
        "articles de la meme rubrique", "dans la meme rubrique",
        "autres articles", "articles similaires", "articles connexes",
        "sur le meme sujet", "related articles", "related stories",
        "more stories", "les plus lus", "vous aimerez aussi",
        "vous aimerez aussi lire", "a lire sur le meme sujet",
        "you may also like", "most read", "les articles les plus lus",
};

/* ---- word sets ---------------------------------------------------------- */

static void wordset_init(struct enricher_wordset *ws, const char *const *w,
                         size_t n)
{
        size_t cap = 16;

        while (cap < n * 4)
                cap *= 2;
        ws->h = vl_xcalloc(cap, sizeof(*ws->h));
        ws->mask = cap - 1;
        for (size_t i = 0; i < n; i++) {
                uint64_t h = enricher_hash_bytes(w[i], strlen(w[i]));
                size_t k = (size_t)h & ws->mask;

                while (ws->h[k] && ws->h[k] != h)
                        k = (k + 1) & ws->mask;
                ws->h[k] = h;
        }
}

static inline int wordset_has(const struct enricher_wordset *ws, uint64_t h)
{
        size_t k = (size_t)h & ws->mask;

        while (ws->h[k]) {
                if (ws->h[k] == h)
                        return 1;
                k = (k + 1) & ws->mask;
        }
        return 0;
}

#define WORDSET(ws, arr) wordset_init(ws, arr, sizeof(arr) / sizeof(*(arr)))

/* The word classes of enricher_tag_classes() in one table (one probe per
 * word instead of seven): every word of the lists and its class bits. */
static void classes_init(struct enricher_tag *tg)
{
        const struct enricher_wordset *sets[] = {
                &tg->titles,  &tg->abbrevs, &tg->roles, &tg->function,
                &tg->orgheads, &tg->nonname, &tg->verbs};
        size_t n = 0, cap = 16;

        for (size_t k = 0; k < sizeof(sets) / sizeof(*sets); k++)
                n += sets[k]->mask + 1;
        while (cap < n * 2)
                cap *= 2;
        tg->cls.h = vl_xcalloc(cap, sizeof(*tg->cls.h));
        tg->cls.v = vl_xcalloc(cap, 1);
        tg->cls.mask = cap - 1;
        for (size_t k = 0; k < sizeof(sets) / sizeof(*sets); k++)
                for (size_t j = 0; j <= sets[k]->mask; j++) {
                        uint64_t h = sets[k]->h[j];
                        size_t s;

                        if (!h)
                                continue;
                        s = (size_t)h & tg->cls.mask;
                        while (tg->cls.h[s] && tg->cls.h[s] != h)
                                s = (s + 1) & tg->cls.mask;
                        tg->cls.h[s] = h;
                        tg->cls.v[s] |= (uint8_t)(1u << k);
                }
}

void enricher_tag_classes(const struct enricher_tag *tg,
                          const struct enricher_tokens *tk, uint8_t *cls)
{
        for (size_t i = 0; i < tk->n; i++) {
                uint64_t h = tk->v[i].h;
                size_t s = (size_t)h & tg->cls.mask;

                while (tg->cls.h[s] && tg->cls.h[s] != h)
                        s = (s + 1) & tg->cls.mask;
                cls[i] = tg->cls.h[s] ? tg->cls.v[s] : 0;
        }
}

/* ---- life cycle --------------------------------------------------------- */

struct enricher_tag *enricher_tag_new(const struct enricher_gazetteer *gz)
{
        struct enricher_tag *tg = vl_xcalloc(1, sizeof(*tg));
        size_t n = gz->nent ? gz->nent : 1;

        tg->gz = gz;
        enricher_tokens_init(&tg->title);
        enricher_tokens_init(&tg->text);
        tg->seen = vl_xcalloc(n, sizeof(*tg->seen));
        tg->group_of = vl_xcalloc(n, sizeof(*tg->group_of));
        WORDSET(&tg->titles, title_words);
        WORDSET(&tg->abbrevs, abbrev_words);
        WORDSET(&tg->roles, role_words);
        WORDSET(&tg->links, link_words);
        WORDSET(&tg->function, function_words);
        WORDSET(&tg->nonname, nonname_words);
        WORDSET(&tg->verbs, verb_words);
        WORDSET(&tg->orgheads, org_head_words);
        classes_init(tg);
        return tg;
}

void enricher_tag_destroy(struct enricher_tag *tg)
{
        if (!tg)
                return;
        enricher_tokens_release(&tg->title);
        enricher_tokens_release(&tg->text);
        free(tg->seen);
        free(tg->group_of);
        free(tg->loc);
        free(tg->pool);
        free(tg->m);
        free(tg->g);
        free(tg->sort);
        free(tg->sorted);
        free(tg->titles.h);
        free(tg->abbrevs.h);
        free(tg->roles.h);
        free(tg->links.h);
        free(tg->function.h);
        free(tg->nonname.h);
        free(tg->orgheads.h);
        free(tg->verbs.h);
        free(tg->cls.h);
        free(tg->cls.v);
        if (tg->mw) {
                enricher_model_work_release(tg->mw);
                free(tg->mw);
        }
        free(tg->mlab);
        free(tg->mcls);
        free(tg);
}

void enricher_tag_set_model(struct enricher_tag *tg,
                            const struct enricher_model *m)
{
        tg->model = m;
        if (m && !tg->mw)
                tg->mw = vl_xcalloc(1, sizeof(*tg->mw));
}

/* ---- boilerplate -------------------------------------------------------- */

/* Do the words of tokens [i, end) start with (or, if @p whole, equal) the
 * space-separated folded words of @p phrase? */
static int words_match(const struct enricher_tokens *tk, size_t i, size_t end,
                       const char *phrase, int whole)
{
        const char *p = phrase;

        if (i < end) { /* most lines: the first letter differs */
                size_t fl;
                const char *f = enricher_tok_fold(tk, i, &fl);

                if (!fl || f[0] != p[0])
                        return 0;
        }
        for (; *p; i++) {
                const char *sp = strchr(p, ' ');
                size_t wl = sp ? (size_t)(sp - p) : strlen(p), fl;
                const char *f;

                if (i >= end)
                        return 0;
                f = enricher_tok_fold(tk, i, &fl);
                if (fl != wl || memcmp(f, p, wl) != 0)
                        return 0;
                p += wl;
                if (*p == ' ')
                        p++;
        }
        return !whole || i == end;
}

static size_t line_end(const struct enricher_tokens *tk, size_t i)
{
        for (i++; i < tk->n && !(tk->v[i].flags & ENRICHER_TOK_LINE); i++)
                ;
        return i;
}

static int any_match(const struct enricher_tokens *tk, size_t i, size_t end,
                     const char *const *phrases, size_t n, int whole)
{
        for (size_t k = 0; k < n; k++) {
                if (words_match(tk, i, end, phrases[k], whole))
                        return 1;
        }
        return 0;
}

#define ANY_MATCH(tk, i, end, arr, whole)                                      \
        any_match(tk, i, end, arr, sizeof(arr) / sizeof(*(arr)), whole)

static void mark_boilerplate(struct enricher_tokens *tk)
{
        for (size_t i = 0, end; i < tk->n; i = end) {
                end = line_end(tk, i);
                if (ANY_MATCH(tk, i, end, end_headings, 1)) {
                        end = tk->n; /* the article proper is over */
                } else if (ANY_MATCH(tk, i, end, teaser_lines, 1)) {
                        end = line_end(tk, end); /* a heading and its line */
                } else if (!(tk->v[i].flags & ENRICHER_TOK_CAP) ||
                           !ANY_MATCH(tk, i, end, teaser_lines, 0)) {
                        continue;
                }
                for (size_t k = i; k < end; k++)
                        tk->v[k].flags |= ENRICHER_TOK_SKIP;
        }
}

/* The lead: the first lines, until at least 20 words. */
static uint32_t lead_end(const struct enricher_tokens *tk)
{
        for (size_t i = 1; i < tk->n; i++) {
                if ((tk->v[i].flags & ENRICHER_TOK_LINE) && i >= 20)
                        return tk->v[i].c0;
        }
        return tk->ncp;
}

/* ---- matching ----------------------------------------------------------- */

static int sig_match(const struct enricher_gazetteer *gz,
                     const struct enricher_alias *a,
                     const struct enricher_tokens *tk, size_t i)
{
        for (size_t j = 0; j < a->ntok; j++) {
                const struct enricher_sig *s = &gz->sig[a->sig + j];

                if (s->nlet != tk->v[i + j].nlet ||
                    s->upmask != tk->v[i + j].upmask)
                        return 0;
        }
        return 1;
}

static int shouting(const struct enricher_tok *t)
{
        return (t->flags & ENRICHER_TOK_ALLCAPS) && t->nlet >= 2;
}

static int alias_ok(const struct enricher_tag *tg,
                    const struct enricher_tokens *tk, size_t i,
                    const struct enricher_alias *a)
{
        const struct enricher_gazetteer *gz = tg->gz;

        if ((a->flags & ENRICHER_ALIAS_ANAPHOR) &&
            tg->seen[a->entity] != tg->gen)
                return 0;
        if (a->flags & ENRICHER_ALIAS_EXACT) {
                if (!sig_match(gz, a, tk, i))
                        return 0;
        } else if (a->flags & ENRICHER_ALIAS_PROPER) {
                /* a capital somewhere, and on every capitalised word of the
                 * alias but the first ("l'alliance des États du Sahel", not
                 * "a strict Islamic state") */
                int cap = tk->v[i].flags & ENRICHER_TOK_CAP;

                for (size_t j = 1; j < a->ntok; j++) {
                        int tcap = tk->v[i + j].flags & ENRICHER_TOK_CAP;

                        if ((gz->sig[a->sig + j].upmask & 1) && !tcap)
                                return 0;
                        cap |= tcap;
                }
                if (!cap)
                        return 0;
        }
        if (a->flags & ENRICHER_ALIAS_STOPWORD) {
                /* "UN" in "UN SOLDAT TUÉ" is a word: no shouting around */
                for (size_t k = i; k > 0 && k + 2 > i;) {
                        if (tk->v[k].flags & ENRICHER_TOK_LINE)
                                break;
                        k--;
                        if (shouting(&tk->v[k]))
                                return 0;
                }
                for (size_t k = i + a->ntok; k < tk->n && k < i + a->ntok + 2;
                     k++) {
                        if (tk->v[k].flags & ENRICHER_TOK_LINE)
                                break;
                        if (shouting(&tk->v[k]))
                                return 0;
                }
        }
        return 1;
}

/* @returns the length in words of the longest alias at @p i (0: none). */
static size_t match_gazetteer(const struct enricher_tag *tg,
                              const struct enricher_tokens *tk, size_t i,
                              uint32_t *alias)
{
        const struct enricher_gazetteer *gz = tg->gz;
        uint64_t h = ENRICHER_SEQ_SEED;
        size_t best = 0;

        for (size_t n = 1; n <= gz->maxtok && i + n <= tk->n; n++) {
                const struct enricher_tok *t = &tk->v[i + n - 1];
                int64_t r;

                if (t->flags & ENRICHER_TOK_SKIP)
                        break;
                if (n > 1 && !(t->flags & ENRICHER_TOK_JOIN))
                        break;
                h = enricher_hash_seq(h, t->h);
                r = enricher_gazetteer_find(gz, tk, i, n, h);
                if (r < 0)
                        break;
                for (uint32_t a = (uint32_t)r; a != ENRICHER_NONE;
                     a = gz->al[a].next) {
                        if (alias_ok(tg, tk, i, &gz->al[a])) {
                                best = n;
                                *alias = a;
                                break;
                        }
                }
        }
        return best;
}

static int is_in(const struct enricher_wordset *ws,
                 const struct enricher_tok *t)
{
        return wordset_has(ws, t->h);
}

/* @returns the group of the longest name this article introduced earlier
 * that starts at @p i (its length in @p len), or -1. */
static int64_t match_local(const struct enricher_tag *tg,
                           const struct enricher_tokens *tk, size_t i,
                           size_t *len)
{
        const struct enricher_tok *t = &tk->v[i], *p;
        uint64_t h[ENRICHER_LOCAL_MAX + 1];
        size_t n = 0;
        int guard = 0;
        int64_t best = -1;

        *len = 0;
        if (!tg->nloc || !(t->flags & ENRICHER_TOK_CAP) || t->nlet < 3 ||
            (t->flags & ENRICHER_TOK_SKIP))
                return -1;
        if (i > 0 && (t->flags & ENRICHER_TOK_JOIN)) {
                /* "Moussa Traoré" is not the Traoré of before */
                p = &tk->v[i - 1];
                guard = (p->flags & ENRICHER_TOK_CAP) &&
                        !is_in(&tg->titles, p) && !is_in(&tg->abbrevs, p) &&
                        !is_in(&tg->roles, p) && !is_in(&tg->function, p);
        }
        h[0] = ENRICHER_SEQ_SEED;
        for (n = 1; n <= ENRICHER_LOCAL_MAX && i + n <= tk->n; n++) {
                const struct enricher_tok *u = &tk->v[i + n - 1];

                if (n > 1 && (!(u->flags & ENRICHER_TOK_JOIN) ||
                              (u->flags & ENRICHER_TOK_SKIP)))
                        break;
                h[n] = enricher_hash_seq(h[n - 1], u->h);
        }
        for (size_t k = tg->nloc; k-- > 0;) { /* the latest wins */
                const struct enricher_local *l = &tg->loc[k];

                if (l->ntok >= n || l->ntok <= *len || h[l->ntok] != l->h)
                        continue;
                if (l->ntok == 1 && guard)
                        continue;
                best = l->group;
                *len = l->ntok;
        }
        return best;
}

static int one_edit(const char *a, size_t na, const char *b, size_t nb)
{
        size_t i = 0;

        if (na > nb + 1 || nb > na + 1)
                return 0;
        while (i < na && i < nb && a[i] == b[i])
                i++;
        if (i == na && i == nb)
                return 1;
        if (na == nb) {
                if (memcmp(a + i + 1, b + i + 1, na - i - 1) == 0)
                        return 1; /* substitution */
                return i + 1 < na && a[i] == b[i + 1] && a[i + 1] == b[i] &&
                       memcmp(a + i + 2, b + i + 2, na - i - 2) == 0;
        }
        if (na > nb)
                return memcmp(a + i + 1, b + i, na - i - 1) == 0;
        return memcmp(a + i, b + i + 1, nb - i - 1) == 0;
}

/* A person's full name with one typo: @returns its length in words. */
static size_t match_fuzzy(const struct enricher_tag *tg,
                          const struct enricher_tokens *tk, size_t i,
                          uint32_t *alias)
{
        const struct enricher_gazetteer *gz = tg->gz;
        size_t first, cnt;

        if (!(tk->v[i].flags & ENRICHER_TOK_CAP))
                return 0;
        cnt = enricher_gazetteer_by_first(gz, tk->v[i].h, &first);
        for (size_t k = first; k < first + cnt; k++) {
                uint32_t a = enricher_gazetteer_fn_alias(gz, k);
                const struct enricher_alias *al = &gz->al[a];
                const char *key = gz->keys + al->key, *end = key + al->klen;
                int ok = i + al->ntok <= tk->n, typos = 0;

                key = memchr(key, ENRICHER_KEY_SEP, al->klen);
                for (size_t j = 1; ok && j < al->ntok; j++) {
                        const struct enricher_tok *u = &tk->v[i + j];
                        const char *w = key + 1, *sep;
                        size_t wl, fl;
                        const char *f;

                        sep = memchr(w, ENRICHER_KEY_SEP, (size_t)(end - w));
                        wl = sep ? (size_t)(sep - w) : (size_t)(end - w);
                        key = sep ? sep : end;
                        if (!(u->flags & ENRICHER_TOK_JOIN) ||
                            !(u->flags & ENRICHER_TOK_CAP) ||
                            (u->flags & ENRICHER_TOK_SKIP)) {
                                ok = 0;
                                break;
                        }
                        f = enricher_tok_fold(tk, i + j, &fl);
                        if (fl == wl && memcmp(f, w, wl) == 0)
                                continue;
                        if (fl >= 5 && wl >= 5 && one_edit(f, fl, w, wl))
                                typos++;
                        else
                                ok = 0;
                }
                if (ok && typos <= 1) {
                        *alias = a;
                        return al->ntok;
                }
        }
        return 0;
}

/* ---- results ------------------------------------------------------------ */

static uint32_t pool_put(struct enricher_tag *tg, const char *p, size_t n)
{
        uint32_t off;

        if (tg->plen + n + 1 > tg->pcap) {
                tg->pcap = tg->pcap ? tg->pcap * 2 : 4096;
                while (tg->pcap < tg->plen + n + 1)
                        tg->pcap *= 2;
                tg->pool = vl_xrealloc(tg->pool, tg->pcap);
        }
        off = (uint32_t)tg->plen;
        memcpy(tg->pool + off, p, n);
        tg->pool[off + n] = '\0';
        tg->plen += n + 1;
        return off;
}

static struct enricher_group *group_push(struct enricher_tag *tg)
{
        if (tg->ng == tg->capg) {
                tg->capg = tg->capg ? tg->capg * 2 : 64;
                tg->g = vl_xrealloc(tg->g, tg->capg * sizeof(*tg->g));
        }
        memset(&tg->g[tg->ng], 0, sizeof(*tg->g));
        tg->g[tg->ng].first = (uint32_t)tg->nm;
        return &tg->g[tg->ng++];
}

static uint32_t group_of_entity(struct enricher_tag *tg, uint32_t e)
{
        struct enricher_group *g;

        if (tg->seen[e] == tg->gen)
                return (uint32_t)tg->group_of[e];
        g = group_push(tg);
        g->entity = e;
        g->type = tg->gz->ent[e].type;
        tg->seen[e] = tg->gen;
        tg->group_of[e] = (int32_t)(tg->ng - 1);
        return (uint32_t)(tg->ng - 1);
}

/* A name found by rule or model: grouped by type and folded words. */
static uint32_t group_of_unknown(struct enricher_tag *tg,
                                 const struct enricher_tokens *tk,
                                 const char *src, size_t i, size_t n,
                                 enum enricher_type type)
{
        struct enricher_group *g;
        char key[256];
        size_t kl = 0;

        for (size_t j = 0; j < n; j++) {
                size_t fl;
                const char *f = enricher_tok_fold(tk, i + j, &fl);

                if (kl + fl + 1 >= sizeof(key))
                        break;
                if (j)
                        key[kl++] = ' ';
                memcpy(key + kl, f, fl);
                kl += fl;
        }
        for (size_t k = 0; k < tg->ng; k++) {
                g = &tg->g[k];
                if (g->entity < 0 && g->type == type && g->klen == kl &&
                    memcmp(tg->pool + g->key, key, kl) == 0)
                        return (uint32_t)k;
        }
        g = group_push(tg);
        g->entity = -1;
        g->type = type;
        g->name = pool_put(tg, src + tk->v[i].b0,
                           tk->v[i + n - 1].b1 - tk->v[i].b0);
        g->nlen = tk->v[i + n - 1].b1 - tk->v[i].b0;
        g->key = pool_put(tg, key, kl);
        g->klen = (uint32_t)kl;
        return (uint32_t)(tg->ng - 1);
}

/* A person found by rule. */
static uint32_t group_of_person(struct enricher_tag *tg,
                                const struct enricher_tokens *tk,
                                const char *src, size_t i, size_t n)
{
        return group_of_unknown(tg, tk, src, i, n, ENRICHER_PER);
}

static void local_add(struct enricher_tag *tg, uint64_t h, size_t ntok,
                      uint32_t group)
{
        if (tg->nloc == tg->caploc) {
                tg->caploc = tg->caploc ? tg->caploc * 2 : 32;
                tg->loc = vl_xrealloc(tg->loc, tg->caploc * sizeof(*tg->loc));
        }
        tg->loc[tg->nloc].h = h;
        tg->loc[tg->nloc].ntok = (uint32_t)ntok;
        tg->loc[tg->nloc].group = group;
        tg->nloc++;
}

static void mention_add(struct enricher_tag *tg,
                        const struct enricher_tokens *tk, size_t i, size_t n,
                        uint32_t group, enum enricher_where where,
                        enum enricher_source source)
{
        struct enricher_mention *m;
        struct enricher_group *g = &tg->g[group];
        const struct enricher_tok *last = &tk->v[i + n - 1];

        if (tg->nm == tg->capm) {
                tg->capm = tg->capm ? tg->capm * 2 : 128;
                tg->m = vl_xrealloc(tg->m, tg->capm * sizeof(*tg->m));
        }
        m = &tg->m[tg->nm++];
        m->start = tk->v[i].c0;
        m->end = last->c1;
        m->bstart = tk->v[i].b0;
        m->bend = last->b1;
        m->group = group;
        m->where = (uint8_t)where;
        m->source = (uint8_t)source;
        g->count++;
        if (where == ENRICHER_IN_TITLE)
                g->in_title = true;
        else if (m->start < tg->lead_end)
                g->in_lead = true;
        /* a full name introduces its surname for the rest of the article,
         * and a name found by rule is known as a whole from now on */
        if (g->type != ENRICHER_PER || n < 2 || source == ENRICHER_SRC_SURNAME)
                return;
        if (g->entity < 0 && n <= ENRICHER_LOCAL_MAX) {
                uint64_t h = ENRICHER_SEQ_SEED;

                for (size_t j = 0; j < n; j++)
                        h = enricher_hash_seq(h, tk->v[i + j].h);
                local_add(tg, h, n, group);
        }
        if (last->nlet >= 3 && (last->flags & ENRICHER_TOK_CAP))
                local_add(tg, enricher_hash_seq(ENRICHER_SEQ_SEED, last->h), 1,
                          group);
        if (g->entity >= 0 && tg->gz->ent[g->entity].last_h &&
            tg->gz->ent[g->entity].last_h != last->h)
                local_add(tg, enricher_hash_seq(ENRICHER_SEQ_SEED,
                                                tg->gz->ent[g->entity].last_h),
                          1, group);
}

/* ---- rules for people not in the gazetteer ------------------------------ */

static int claimed(const struct enricher_tag *tg,
                   const struct enricher_tokens *tk, size_t i)
{
        uint32_t a;
        size_t n;

        return match_gazetteer(tg, tk, i, &a) > 0 ||
               match_local(tg, tk, i, &n) >= 0 ||
               match_fuzzy(tg, tk, i, &a) > 0;
}

/* Capitalised words from @p j that may be a name: @returns the end of the
 * run, and its number of words (hyphenated parts count once) in @p words;
 * the run stops at anything else, or at @p line_end. */
static size_t name_run(const struct enricher_tag *tg,
                       const struct enricher_tokens *tk, size_t j,
                       unsigned *words)
{
        size_t k;

        *words = 0;
        for (k = j; k < tk->n; k++) {
                const struct enricher_tok *u = &tk->v[k];

                if (k > j && !(u->flags & ENRICHER_TOK_JOIN))
                        break;
                if (!(u->flags & ENRICHER_TOK_CAP) ||
                    (u->flags & (ENRICHER_TOK_ALLCAPS | ENRICHER_TOK_SKIP |
                                 ENRICHER_TOK_DIGIT)) ||
                    u->nlet < 2)
                        break;
                if (is_in(&tg->nonname, u))
                        return j; /* "Grace King High School" */
                if (is_in(&tg->titles, u) || is_in(&tg->roles, u) ||
                    is_in(&tg->function, u) || claimed(tg, tk, k))
                        break;
                if (k == j || !(u->flags & ENRICHER_TOK_HYPHEN))
                        (*words)++;
                if (*words > 4)
                        return j; /* too long to be a name */
        }
        if (k < tk->n && k > j && (tk->v[k].flags & ENRICHER_TOK_HYPHEN))
                return j; /* "Ban Ki-moon": the name goes on */
        return k;
}

static enum enricher_type gz_type(const struct enricher_tag *tg, uint32_t a)
{
        return tg->gz->ent[tg->gz->al[a].entity].type;
}

/* "le ministre de la Défense Juvenal Marizamunda": @returns the word after
 * the person found, or 0. */
static size_t rule_title(struct enricher_tag *tg,
                         const struct enricher_tokens *tk, const char *src,
                         size_t i, enum enricher_where where)
{
        const struct enricher_tok *t = &tk->v[i];
        int abbrev = is_in(&tg->abbrevs, t) && (t->flags & ENRICHER_TOK_CAP);
        unsigned words, lowers = 0, steps = 0;
        size_t j, k, place = 0, nplace = 0;
        uint32_t a = 0;

        if (!abbrev && !is_in(&tg->titles, t))
                return 0;
        if (abbrev && i > 0 && (t->flags & ENRICHER_TOK_JOIN) &&
            (tk->v[i - 1].flags & ENRICHER_TOK_CAP) &&
            !is_in(&tg->function, &tk->v[i - 1]))
                return 0; /* "Edward M. Gomez": a middle initial */
        for (j = i + 1; j < tk->n; j++, steps++) {
                const struct enricher_tok *u = &tk->v[j];
                int gap = (u->flags & ENRICHER_TOK_JOIN) ||
                          (abbrev && j == i + 1 &&
                           (u->flags & ENRICHER_TOK_DOT));

                if (!gap || (u->flags & ENRICHER_TOK_SKIP) || steps >= 8)
                        return 0;
                if (abbrev) /* "M. Dupont": the name comes at once */
                        break;
                if (is_in(&tg->titles, u) || is_in(&tg->roles, u) ||
                    is_in(&tg->links, u))
                        continue;
                if (!(u->flags & ENRICHER_TOK_CAP)) {
                        if (abbrev || lowers++ || u->nlet < 4 ||
                            is_in(&tg->verbs, u))
                                return 0; /* one adjective at most: "russe" */
                        continue;
                }
                /* "le ministre de la Défense du Mali Abdoulaye Diop": one
                 * place or organisation after "du", "de", "of" */
                if (!abbrev && !nplace && is_in(&tg->links, &tk->v[j - 1])) {
                        size_t n = match_gazetteer(tg, tk, j, &a);

                        if (n && gz_type(tg, a) != ENRICHER_PER) {
                                place = j;
                                nplace = n;
                                j += n - 1;
                                continue;
                        }
                }
                break;
        }
        if (j >= tk->n)
                return 0;
        k = name_run(tg, tk, j, &words);
        if (k == j || words < (abbrev ? 1u : 2u))
                return 0;
        if (nplace)
                mention_add(tg, tk, place, nplace,
                            group_of_entity(tg, tg->gz->al[a].entity), where,
                            ENRICHER_SRC_GAZETTEER);
        mention_add(tg, tk, j, k - j, group_of_person(tg, tk, src, j, k - j),
                    where, ENRICHER_SRC_TITLE);
        return k;
}

/* A line "Par André-Martin Bado" / "By Jane Doe": @returns the word after
 * the name, or 0. */
static size_t rule_byline(struct enricher_tag *tg,
                          const struct enricher_tokens *tk, const char *src,
                          size_t i, enum enricher_where where)
{
        const struct enricher_tok *t = &tk->v[i];
        unsigned words;
        size_t fl, k;
        const char *f;

        if (!(t->flags & ENRICHER_TOK_LINE) || !(t->flags & ENRICHER_TOK_CAP) ||
            i + 1 >= tk->n || !(tk->v[i + 1].flags & ENRICHER_TOK_JOIN))
                return 0;
        f = enricher_tok_fold(tk, i, &fl);
        if (!((fl == 3 && memcmp(f, "par", 3) == 0) ||
              (fl == 2 && memcmp(f, "by", 2) == 0)))
                return 0;
        k = name_run(tg, tk, i + 1, &words);
        if (words < 2 || (k < tk->n && !(tk->v[k].flags & ENRICHER_TOK_LINE)))
                return 0;
        mention_add(tg, tk, i + 1, k - i - 1,
                    group_of_person(tg, tk, src, i + 1, k - i - 1), where,
                    ENRICHER_SRC_BYLINE);
        return k;
}

/* Is word @p i the end of a longer name that starts with an unclaimed
 * capitalised word in mid-sentence ("Denzel Washington", "Ivanka Trump")? */
static int glued_to_name(const struct enricher_tag *tg,
                         const struct enricher_tokens *tk, size_t i,
                         size_t claimed_end)
{
        const struct enricher_tok *p;

        if (i == 0 || i - 1 < claimed_end ||
            !(tk->v[i].flags & ENRICHER_TOK_JOIN))
                return 0;
        p = &tk->v[i - 1];
        return (p->flags & ENRICHER_TOK_CAP) &&
               (p->flags & ENRICHER_TOK_JOIN) &&
               !(p->flags & ENRICHER_TOK_ALLCAPS) && !is_in(&tg->function, p) &&
               !is_in(&tg->titles, p) && !is_in(&tg->abbrevs, p) &&
               !is_in(&tg->roles, p);
}

/* Is word @p k, right after a place or organisation, the rest of a longer
 * name ("New York Times", "Berlin Wall", "Mali T604")? */
static int name_goes_on(const struct enricher_tag *tg,
                        const struct enricher_tokens *tk, size_t k)
{
        const struct enricher_tok *u;
        uint32_t a;

        if (k >= tk->n)
                return 0;
        u = &tk->v[k];
        if (!(u->flags & ENRICHER_TOK_JOIN) || !(u->flags & ENRICHER_TOK_CAP) ||
            (u->flags & ENRICHER_TOK_ALLCAPS) || is_in(&tg->function, u) ||
            is_in(&tg->titles, u) || is_in(&tg->abbrevs, u))
                return 0;
        if (match_gazetteer(tg, tk, k, &a))
                return 0;
        /* two capitalised words are a name of their own: "du Burkina Faso
         * Kassoum Coulibaly" */
        if (k + 1 < tk->n) {
                const struct enricher_tok *v = &tk->v[k + 1];

                if ((v->flags & ENRICHER_TOK_JOIN) &&
                    (v->flags & ENRICHER_TOK_CAP) &&
                    !(v->flags & (ENRICHER_TOK_ALLCAPS | ENRICHER_TOK_HYPHEN |
                                  ENRICHER_TOK_DIGIT)) &&
                    !is_in(&tg->function, v) && !is_in(&tg->nonname, v) &&
                    !is_in(&tg->nonname, u))
                        return 0;
        }
        return 1;
}

/* An organisation no list knows, by its head word: a capitalised head
 * ("Alliance", "Agence", "Ministry") then capitalised words and the words
 * that link them ("des", "du", "of"), on one line, ending on a capitalised
 * word; "(ACRONYM)" right after it is the same organisation, and both name
 * it for the rest of the article. @returns the end, or 0. */
static size_t rule_org(struct enricher_tag *tg,
                       const struct enricher_tokens *tk, const char *src,
                       size_t i, enum enricher_where where)
{
        const struct enricher_tok *t = &tk->v[i];
        size_t j, last = i;
        uint32_t grp;
        uint64_t h = ENRICHER_SEQ_SEED;

        if (!(t->flags & ENRICHER_TOK_CAP) ||
            (t->flags & (ENRICHER_TOK_ALLCAPS | ENRICHER_TOK_DIGIT)) ||
            !is_in(&tg->orgheads, t))
                return 0;
        for (j = i + 1; j < tk->n && j < i + ORG_MAX_TOK; j++) {
                const struct enricher_tok *u = &tk->v[j];

                if (!(u->flags & ENRICHER_TOK_JOIN) ||
                    (u->flags & (ENRICHER_TOK_SKIP | ENRICHER_TOK_LINE)))
                        break;
                if ((u->flags & ENRICHER_TOK_CAP) &&
                    !(u->flags & ENRICHER_TOK_DIGIT) &&
                    !is_in(&tg->function, u))
                        last = j;
                else if (!is_in(&tg->links, u))
                        break;
        }
        if (last == i)
                return 0;
        j = last + 1;
        grp = group_of_unknown(tg, tk, src, i, j - i, ENRICHER_ORG);
        mention_add(tg, tk, i, j - i, grp, where, ENRICHER_SRC_ORG);
        if (j - i <= ENRICHER_LOCAL_MAX) {
                for (size_t k = i; k < j; k++)
                        h = enricher_hash_seq(h, tk->v[k].h);
                local_add(tg, h, j - i, grp);
        }
        /* "(AES)" */
        if (j < tk->n) {
                const struct enricher_tok *a = &tk->v[j];
                const char *gap = src + tk->v[j - 1].b1, *end = src + a->b0;

                while (gap < end && (*gap == ' ' || *gap == '\t'))
                        gap++;
                /* (the ')' read before the next word: within the text) */
                if ((a->flags & ENRICHER_TOK_ALLCAPS) && a->nlet >= 2 &&
                    a->nlet <= 8 && gap + 1 == end && *gap == '(' &&
                    j + 1 < tk->n && tk->v[j + 1].b0 > a->b1 &&
                    src[a->b1] == ')') {
                        mention_add(tg, tk, j, 1, grp, where,
                                    ENRICHER_SRC_ORG);
                        local_add(tg, enricher_hash_seq(ENRICHER_SEQ_SEED,
                                                        a->h),
                                  1, grp);
                        j++;
                }
        }
        return j;
}

/* Headline Title Case: capitals say nothing about names there. */
static int title_case(const struct enricher_tokens *tk)
{
        size_t words = 0, caps = 0;

        for (size_t i = 0; i < tk->n; i++) {
                if (tk->v[i].nlet < 4)
                        continue;
                words++;
                caps += (tk->v[i].flags & ENRICHER_TOK_CAP) != 0;
        }
        return words >= 3 && caps * 10 >= words * 6;
}

/* Is @p t an initial inside a name ("George W. Bush"): one capital letter,
 * then "." and the next word @p u? */
static int initial(const struct enricher_tok *t, const struct enricher_tok *u)
{
        return t->nlet == 1 && (t->flags & ENRICHER_TOK_CAP) &&
               (u->flags & ENRICHER_TOK_DOT) && (u->flags & ENRICHER_TOK_CAP);
}

/* Is word @p j a regnal number after a name: capital Roman numerals
 * ("II", "XIV", "V"; not "I", the English pronoun), after blanks on the
 * same line? */
static int roman(const struct enricher_tokens *tk, size_t j)
{
        const struct enricher_tok *u = &tk->v[j];
        size_t n;
        const char *f = enricher_tok_fold(tk, j, &n);

        if (!(u->flags & ENRICHER_TOK_JOIN) ||
            (u->flags & (ENRICHER_TOK_LINE | ENRICHER_TOK_HYPHEN |
                         ENRICHER_TOK_SKIP)) ||
            u->nlet != n || n > 6 || u->upmask != (1u << n) - 1 ||
            (n == 1 && f[0] == 'i'))
                return 0;
        for (size_t k = 0; k < n; k++)
                if (!strchr("ivxlc", f[k]))
                        return 0;
        return 1;
}

/* A name the statistical tagger found at @p i (a B- tag on a capitalised
 * word that nothing else claimed): its span runs over the I- tags joined
 * by blanks, hyphens or apostrophes on the same line, up to a name the
 * gazetteer or the article knows (the lists win); leading titles,
 * function words and (for people) role words are left out, and so are
 * trailing lowercase words; a lone role or title word is no name.
 * @returns the end, or 0. */
static size_t rule_model(struct enricher_tag *tg,
                         const struct enricher_tokens *tk, const char *src,
                         size_t i, enum enricher_where where)
{
        uint8_t t;
        size_t j, b = i;
        enum enricher_type type;

        if (!tg->model)
                return 0;
        t = tg->mlab[i];
        if (!enricher_tag_begin(t) || !(tk->v[i].flags & ENRICHER_TOK_CAP))
                return 0;
        type = (enum enricher_type)enricher_tag_type(t);
        for (j = i + 1; j < tk->n && tg->mlab[j] == t + 1 &&
                        ((tk->v[j].flags & ENRICHER_TOK_JOIN) ||
                         initial(&tk->v[j - 1], &tk->v[j])) &&
                        !(tk->v[j].flags &
                          (ENRICHER_TOK_SKIP | ENRICHER_TOK_LINE)) &&
                        !claimed(tg, tk, j);
             j++)
                ;
        /* "Louis XIV", "Benoît XVI" */
        if (type == ENRICHER_PER && j < tk->n && roman(tk, j))
                j++;
        while (b < j && (is_in(&tg->titles, &tk->v[b]) ||
                         is_in(&tg->abbrevs, &tk->v[b]) ||
                         is_in(&tg->function, &tk->v[b]) ||
                         (type == ENRICHER_PER &&
                          is_in(&tg->roles, &tk->v[b]))))
                b++;
        /* trailing lowercase words go, but an organisation or a place may
         * end on a lowercase adjective the tagger put in it ("Académie
         * française", "Union soviétique") */
        while (j > b &&
               !(tk->v[j - 1].flags &
                 (ENRICHER_TOK_CAP | ENRICHER_TOK_DIGIT)) &&
               (type == ENRICHER_PER || tk->v[j - 1].nlet < 4 ||
                is_in(&tg->function, &tk->v[j - 1]) ||
                is_in(&tg->links, &tk->v[j - 1])))
                j--;
        if (b == j)
                return j;
        if (j == b + 1 && (is_in(&tg->roles, &tk->v[b]) ||
                           is_in(&tg->titles, &tk->v[b]) ||
                           !(tk->v[b].flags & ENRICHER_TOK_CAP)))
                return j;
        mention_add(tg, tk, b, j - b,
                    group_of_unknown(tg, tk, src, b, j - b, type), where,
                    ENRICHER_SRC_MODEL);
        return j;
}

static void scan(struct enricher_tag *tg, const struct enricher_tokens *tk,
                 const char *src, enum enricher_where where)
{
        const struct enricher_gazetteer *gz = tg->gz;
        size_t i = 0, claimed_end = 0;
        int guards = !title_case(tk);

        if (tg->model && tk->n) {
                if (tk->n > tg->capmlab) {
                        tg->capmlab = tk->n * 2;
                        tg->mlab = vl_xrealloc(tg->mlab, tg->capmlab);
                        tg->mcls = vl_xrealloc(tg->mcls, tg->capmlab);
                }
                enricher_tag_classes(tg, tk, tg->mcls);
                tg->mw->cls = tg->mcls;
                enricher_model_tag(tg->model, tk, tg->mw, tg->mlab);
        }
        while (i < tk->n) {
                uint32_t a = 0;
                size_t n, ln, next;
                int64_t grp;

                if (tk->v[i].flags & ENRICHER_TOK_SKIP) {
                        i++;
                        continue;
                }
                n = match_gazetteer(tg, tk, i, &a);
                if (n && guards && !(gz->al[a].flags & ENRICHER_ALIAS_EXACT) &&
                    ((n == 1 && glued_to_name(tg, tk, i, claimed_end)) ||
                     (gz_type(tg, a) != ENRICHER_PER &&
                      name_goes_on(tg, tk, i + n))))
                        n = 0;
                /* a name this article introduced beats a shorter alias, and
                 * a surname beats a one-word alias */
                grp = match_local(tg, tk, i, &ln);
                if (grp >= 0 && (ln > n || (ln == 1 && n <= 1))) {
                        mention_add(tg, tk, i, ln, (uint32_t)grp, where,
                                    ln == 1 ? ENRICHER_SRC_SURNAME
                                            : tg->g[grp].entity < 0
                                                      ? ENRICHER_SRC_TITLE
                                                      : ENRICHER_SRC_GAZETTEER);
                        i += ln;
                        claimed_end = i;
                        continue;
                }
                if (n) {
                        mention_add(tg, tk, i, n,
                                    group_of_entity(tg, gz->al[a].entity),
                                    where, ENRICHER_SRC_GAZETTEER);
                        i += n;
                        claimed_end = i;
                        continue;
                }
                n = match_fuzzy(tg, tk, i, &a);
                if (n) {
                        mention_add(tg, tk, i, n,
                                    group_of_entity(tg, gz->al[a].entity),
                                    where, ENRICHER_SRC_FUZZY);
                        i += n;
                        claimed_end = i;
                        continue;
                }
                next = rule_title(tg, tk, src, i, where);
                if (!next)
                        next = rule_byline(tg, tk, src, i, where);
                if (!next && guards)
                        next = rule_org(tg, tk, src, i, where);
                if (!next)
                        next = rule_model(tg, tk, src, i, where);
                if (next)
                        claimed_end = next;
                i = next ? next : i + 1;
        }
}

/* ---- salience and order ------------------------------------------------- */

static int group_before(const struct enricher_group *x,
                        const struct enricher_group *y)
{
        if (x->salience != y->salience)
                return x->salience > y->salience;
        return x->first < y->first;
}

/* A name found by rule or by the tagger has one type in an article: the
 * groups of one folded name with different types ("Hong Kong" PER here,
 * LOC there) become the one with more mentions (the first on a tie). */
static void one_type(struct enricher_tag *tg)
{
        size_t n = 0;
        int merged = 0;

        for (size_t k = 1; k < tg->ng; k++) {
                struct enricher_group *b = &tg->g[k];

                if (b->entity >= 0)
                        continue;
                for (size_t j = 0; j < k; j++) {
                        struct enricher_group *a = &tg->g[j], *win, *lose;
                        uint32_t wi, li;

                        if (a->entity >= 0 || !a->count ||
                            a->klen != b->klen || a->type == b->type ||
                            memcmp(tg->pool + a->key, tg->pool + b->key,
                                   a->klen) != 0)
                                continue;
                        wi = b->count > a->count ? (uint32_t)k : (uint32_t)j;
                        li = wi == k ? (uint32_t)j : (uint32_t)k;
                        win = &tg->g[wi];
                        lose = &tg->g[li];
                        for (size_t q = 0; q < tg->nm; q++)
                                if (tg->m[q].group == li)
                                        tg->m[q].group = wi;
                        win->count += lose->count;
                        win->in_title |= lose->in_title;
                        win->in_lead |= lose->in_lead;
                        if (lose->first < win->first) {
                                /* the name as first written */
                                win->first = lose->first;
                                win->name = lose->name;
                                win->nlen = lose->nlen;
                        }
                        lose->count = 0;
                        merged = 1;
                        if (li == k)
                                break;
                }
        }
        if (!merged)
                return;
        /* drop the emptied groups; tg->sort is the old -> new index */
        if (tg->capsort < tg->ng) {
                tg->capsort = tg->capg;
                tg->sort = vl_xrealloc(tg->sort,
                                       tg->capsort * 2 * sizeof(*tg->sort));
                tg->sorted = vl_xrealloc(tg->sorted,
                                         tg->capsort * sizeof(*tg->sorted));
        }
        for (size_t k = 0; k < tg->ng; k++) {
                tg->sort[k] = (uint32_t)n;
                if (tg->g[k].count)
                        tg->g[n++] = tg->g[k];
        }
        for (size_t q = 0; q < tg->nm; q++)
                tg->m[q].group = tg->sort[tg->m[q].group];
        tg->ng = n;
}

static void finish(struct enricher_tag *tg)
{
        uint32_t maxc = 1, *order, *rank;

        if (!tg->ng)
                return;
        one_type(tg);
        for (size_t k = 0; k < tg->ng; k++)
                if (tg->g[k].count > maxc)
                        maxc = tg->g[k].count;
        for (size_t k = 0; k < tg->ng; k++) {
                struct enricher_group *g = &tg->g[k];
                double s = 0.35 * g->in_title + 0.25 * g->in_lead +
                           0.40 * (double)g->count / maxc;

                g->salience = (double)(long)(s * 1000.0 + 0.5) / 1000.0;
        }
        if (tg->capsort <
            tg->ng) { /* scratch kept from one article to the next */
                tg->capsort = tg->capg;
                tg->sort = vl_xrealloc(tg->sort,
                                       tg->capsort * 2 * sizeof(*tg->sort));
                tg->sorted = vl_xrealloc(tg->sorted,
                                         tg->capsort * sizeof(*tg->sorted));
        }
        order = tg->sort;
        rank = tg->sort + tg->capsort;
        /* insertion sort: a few dozen groups, and no global for qsort */
        for (size_t k = 0; k < tg->ng; k++) {
                size_t j = k;

                while (j > 0 && group_before(&tg->g[k], &tg->g[order[j - 1]])) {
                        order[j] = order[j - 1];
                        j--;
                }
                order[j] = (uint32_t)k;
        }
        for (size_t k = 0; k < tg->ng; k++) {
                tg->sorted[k] = tg->g[order[k]];
                rank[order[k]] = (uint32_t)k;
        }
        memcpy(tg->g, tg->sorted, tg->ng * sizeof(*tg->g));
        for (size_t k = 0; k < tg->nm; k++)
                tg->m[k].group = rank[tg->m[k].group];
}

void enricher_tag_article(struct enricher_tag *tg, const char *title,
                          size_t tlen, const char *text, size_t len)
{
        tg->nm = tg->ng = tg->nloc = tg->plen = 0;
        if (++tg->gen == 0) {
                memset(tg->seen, 0,
                       (tg->gz->nent ? tg->gz->nent : 1) * sizeof(*tg->seen));
                tg->gen = 1;
        }
        enricher_tokenize(&tg->title, title ? title : "", title ? tlen : 0);
        enricher_tokenize(&tg->text, text ? text : "", text ? len : 0);
        if (tg->model) {
                enricher_tokens_case_evidence(&tg->title);
                enricher_tokens_case_evidence(&tg->text);
        }
        mark_boilerplate(&tg->text);
        tg->lead_end = lead_end(&tg->text);
        scan(tg, &tg->title, title, ENRICHER_IN_TITLE);
        scan(tg, &tg->text, text, ENRICHER_IN_TEXT);
        finish(tg);
}

const char *enricher_tag_group_name(const struct enricher_tag *tg,
                                    const struct enricher_group *g, size_t *n)
{
        if (g->entity >= 0) {
                const char *name = tg->gz->ent[g->entity].name;

                *n = strlen(name);
                return name;
        }
        *n = g->nlen;
        return tg->pool + g->name;
}
