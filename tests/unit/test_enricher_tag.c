/* The enricher's tagger on the shipped gazetteer: seed excerpts (see
 * tests/data/enricher/README.md) and the rules one by one. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <utf8proc.h>
#include "veille/buf.h"
#include "enricher/enricher.h"

#define GAZETTEER VL_SOURCE_DIR "/enricher/data/gazetteer.tsv"
#define FIXTURE(f) VL_SOURCE_DIR "/tests/data/enricher/" f

static struct enricher_gazetteer *gz;
static struct enricher_tag *tg;
static struct vl_buf text;
static const char *title_s, *text_s;

static void setup(void)
{
        struct vl_err err = {0};

        gz = enricher_gazetteer_new();
        cr_assert_eq(enricher_gazetteer_load(gz, GAZETTEER, &err), VL_OK, "%s",
                     err.msg);
        tg = enricher_tag_new(gz);
        vl_buf_init(&text, 0);
}

static void teardown(void)
{
        enricher_tag_destroy(tg);
        enricher_gazetteer_destroy(gz);
        vl_buf_release(&text);
}

TestSuite(enricher_tag, .init = setup, .fini = teardown);

static void tag2(const char *title, const char *s)
{
        title_s = title;
        text_s = s;
        enricher_tag_article(tg, title, title ? strlen(title) : 0, s,
                             strlen(s));
}

static void tag(const char *s)
{
        tag2(NULL, s);
}

static void tag_file(const char *path)
{
        struct vl_err err = {0};

        vl_buf_reset(&text);
        cr_assert_eq(vl_buf_read_file(&text, path, &err), VL_OK, "%s", err.msg);
        tag(text.data);
}

/* the group named @p name, or NULL */
static const struct enricher_group *group(const char *name)
{
        for (size_t k = 0; k < tg->ng; k++) {
                size_t n;
                const char *gn = enricher_tag_group_name(tg, &tg->g[k], &n);

                if (n == strlen(name) && memcmp(gn, name, n) == 0)
                        return &tg->g[k];
        }
        return NULL;
}

static const char *qid(const struct enricher_group *g)
{
        return g->entity >= 0 ? gz->ent[g->entity].qid : "";
}

/* the text of code points [start, end) of @p s, in a static buffer */
static const char *cp_slice(const char *s, uint32_t start, uint32_t end)
{
        static char buf[512];
        const utf8proc_uint8_t *p = (const utf8proc_uint8_t *)s;
        size_t len = strlen(s), i = 0, b0 = 0, b1 = 0;
        uint32_t cp = 0;

        while (i <= len) {
                utf8proc_int32_t c;
                utf8proc_ssize_t k;

                if (cp == start)
                        b0 = i;
                if (cp == end) {
                        b1 = i;
                        break;
                }
                if (i == len)
                        break;
                k = utf8proc_iterate(p + i, (utf8proc_ssize_t)(len - i), &c);
                i += k > 0 ? (size_t)k : 1;
                cp++;
        }
        snprintf(buf, sizeof(buf), "%.*s", (int)(b1 - b0), s + b0);
        return buf;
}

/* every mention's code point offsets give back its byte span */
static void check_offsets(void)
{
        for (size_t k = 0; k < tg->nm; k++) {
                const struct enricher_mention *m = &tg->m[k];
                const char *src =
                        m->where == ENRICHER_IN_TITLE ? title_s : text_s;
                char want[512];

                snprintf(want, sizeof(want), "%.*s", (int)(m->bend - m->bstart),
                         src + m->bstart);
                cr_expect_str_eq(cp_slice(src, m->start, m->end), want);
        }
}

/* mention texts of a group, joined by '|', in order */
static const char *mentions_of(const char *name)
{
        static char buf[1024];
        const struct enricher_group *g = group(name);
        size_t o = 0;

        buf[0] = '\0';
        if (!g)
                return "(none)";
        for (size_t k = 0; k < tg->nm; k++) {
                const struct enricher_mention *m = &tg->m[k];
                const char *src =
                        m->where == ENRICHER_IN_TITLE ? title_s : text_s;

                if (&tg->g[m->group] != g)
                        continue;
                o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%s%.*s",
                                      o ? "|" : "", (int)(m->bend - m->bstart),
                                      src + m->bstart);
        }
        return buf;
}

Test(enricher_tag, seed_000_full_names_then_surnames)
{
        const struct enricher_group *g;

        tag_file(FIXTURE("seed_000_simpore.txt"));
        check_offsets();
        g = group("Burkina Faso");
        cr_assert_not_null(g);
        cr_expect_str_eq(qid(g), "Q965");
        cr_expect_eq(g->count, 2);
        cr_expect_str_eq(mentions_of("Moscow"), "Moscou");
        cr_expect_str_eq(qid(group("Moscow")), "Q649");
        cr_expect_str_eq(mentions_of("Célestin Simporé"),
                         "Célestin Simporé|Simporé");
        cr_expect_str_eq(mentions_of("Kassoum Coulibaly"),
                         "Kassoum Coulibaly|Coulibaly");
        cr_expect_str_eq(mentions_of("Sergei Shoigu"),
                         "Sergey Shoigu|Sergey Shoigu");
        cr_expect_str_eq(mentions_of("Russia"), "Russie");
        cr_expect_str_eq(mentions_of("Rwanda Defence Force"),
                         "Forces armées rwandaises");
        /* people known only by their title */
        cr_expect_str_eq(mentions_of("Mubarak Muganga"), "Mubarak Muganga");
        cr_expect_eq(group("Mubarak Muganga")->entity, -1);
        cr_expect_str_eq(mentions_of("Juvenal Marizamunda"),
                         "Juvenal Marizamunda");
        /* the "LIRE AUSSI" teaser is boilerplate */
        cr_expect_null(group("Economic Community of West African States"));
        cr_expect_null(group("Niger"));
}

Test(enricher_tag, seed_001_choigou_and_shoigu_are_one)
{
        tag_file(FIXTURE("seed_001_choigou.txt"));
        check_offsets();
        cr_expect_str_eq(mentions_of("Sergei Shoigu"),
                         "Sergueï Choïgou|Sergueï Choïgou");
        /* captions glued to the text: "DéfenseFédération de Russie" */
        cr_expect_str_eq(mentions_of("Russia"),
                         "Russie|Fédération de Russie");
        cr_expect_str_eq(mentions_of("Burkina Faso"), "Burkina Faso");
        cr_expect_str_eq(qid(group("Russia")), "Q159");

        tag("Sergueï Choïgou a reçu Kassoum Coulibaly. Shoigu said so. "
            "Choïgou a souri. Sergey Shoigu left.");
        cr_expect_str_eq(mentions_of("Sergei Shoigu"),
                         "Sergueï Choïgou|Shoigu|Choïgou|Sergey Shoigu");
        cr_expect_eq(tg->ng, 2);
}

Test(enricher_tag, seed_002_byline_and_boilerplate)
{
        tag_file(FIXTURE("seed_002_byline.txt"));
        check_offsets();
        cr_expect_str_eq(mentions_of("André-Martin Bado"),
                         "André-Martin Bado");
        cr_expect_str_eq(mentions_of("Ouagadougou"), "Ouagadougou");
        cr_expect_str_eq(mentions_of("Moscow"), "Moscou");
        /* after "Articles de la même rubrique": not the article */
        cr_expect_null(group("Tougan"));
}

Test(enricher_tag, seed_003_aes_acronym_name_and_anaphor)
{
        const struct enricher_group *g;

        tag_file(FIXTURE("seed_003_aes.txt"));
        check_offsets();
        g = group("Alliance of Sahel States");
        cr_assert_not_null(g);
        cr_expect_str_eq(qid(g), "");
        cr_expect_eq(g->type, ENRICHER_ORG);
        cr_expect_str_eq(
                mentions_of("Alliance of Sahel States"),
                "Confédération des États du Sahel|AES|AES|Confédération");
        cr_expect_str_eq(mentions_of("Ibrahim Traoré"),
                         "Ibrahim Traoré|Traoré");
        cr_expect_str_eq(mentions_of("Sadio Camara"), "Sadio Camara|Camara");
        cr_expect_str_eq(mentions_of("Sahel"), "Sahel");
        cr_expect_str_eq(mentions_of("Moscow"), "Moscou|Moscou");
}

Test(enricher_tag, seed_004_misspelt_full_name)
{
        tag_file(FIXTURE("seed_004_simpone.txt"));
        check_offsets();
        cr_expect_str_eq(mentions_of("Célestin Simporé"),
                         "Celestin Simpone|Simpone");
        cr_expect_str_eq(mentions_of("Alliance of Sahel States"),
                         "Alliance des États du Sahel|AES|AES");
        cr_expect_str_eq(mentions_of("Andrey Belousov"),
                         "Andrei Belousov|Belousov|Belousov");
        cr_expect_str_eq(mentions_of("Salifou Mody"), "Salifou Modi");
        cr_expect_str_eq(qid(group("Niamey")), "Q3674");
}

Test(enricher_tag, folds_accents_and_case)
{
        tag("Les ÉTATS-UNIS, la cote d'ivoire et l'Alliance des Etats du "
            "Sahel "
            "ont reçu Serguei Choigou à MOSCOU.");
        check_offsets();
        cr_expect_str_eq(mentions_of("United States"), "ÉTATS-UNIS");
        cr_expect_str_eq(mentions_of("Alliance of Sahel States"),
                         "Alliance des Etats du Sahel");
        cr_expect_str_eq(mentions_of("Sergei Shoigu"), "Serguei Choigou");
        cr_expect_str_eq(mentions_of("Moscow"), "MOSCOU");
        /* a proper name needs a capital: "cote d'ivoire" is not tagged */
        cr_expect_null(group("Ivory Coast"));
}

Test(enricher_tag, acronyms_need_their_capitals)
{
        tag("Les aes et les Aes ne sont pas l'AES ; onu, Onu et ONU.");
        cr_expect_str_eq(mentions_of("Alliance of Sahel States"), "AES");
        cr_expect_str_eq(mentions_of("United Nations"), "ONU");
        /* a short alias needs its case: "gao" is not Gao */
        tag("Le gao de Gao.");
        cr_expect_str_eq(mentions_of("Gao"), "Gao");
}

Test(enricher_tag, acronyms_that_are_words_in_headlines)
{
        tag("UN SOLDAT TUÉ AU MALI\n"
            "Le Conseil de sécurité de l'UN a parlé.");
        cr_expect_str_eq(mentions_of("United Nations"), "UN");
        cr_expect_null(group("African Union"));
        cr_expect_str_eq(mentions_of("Mali"), "MALI");
}

Test(enricher_tag, offsets_are_exact_code_points)
{
        const char *s =
                "« Ça commence » : le président Assimi Goïta, à Bamako, "
                "puis à N’Djamena — et Goïta encore.";

        tag(s);
        check_offsets();
        cr_assert_not_null(group("Assimi Goïta"));
        cr_expect_eq(tg->m[0].start, 31);
        cr_expect_eq(tg->m[0].end, 43);
        cr_expect_str_eq(cp_slice(s, tg->m[0].start, tg->m[0].end),
                         "Assimi Goïta");
        cr_expect_str_eq(mentions_of("N'Djamena"), "N’Djamena");
        cr_expect_str_eq(mentions_of("Assimi Goïta"), "Assimi Goïta|Goïta");
}

Test(enricher_tag, title_mentions)
{
        const struct enricher_group *g;

        tag2("Moscou et Ouagadougou : Traoré reçu",
             "Le capitaine Ibrahim Traoré est à Moscou.\n\n"
             "Traoré a parlé.");
        check_offsets();
        g = group("Moscow");
        cr_assert_not_null(g);
        cr_expect(g->in_title);
        cr_expect_eq(tg->m[0].where, ENRICHER_IN_TITLE);
        cr_expect_eq(tg->m[0].start, 0);
        cr_expect_eq(tg->m[0].end, 6);
        cr_expect_str_eq(mentions_of("Ouagadougou"), "Ouagadougou");
        /* "Traoré" alone in the title precedes the full name: not tagged */
        cr_expect_str_eq(mentions_of("Ibrahim Traoré"),
                         "Ibrahim Traoré|Traoré");
        /* in the title, in the lead and most frequent comes first */
        cr_expect_str_eq(enricher_tag_group_name(tg, &tg->g[0], &(size_t){0}),
                         "Moscow");
        cr_expect_gt(tg->g[0].salience, tg->g[1].salience);
        cr_expect_leq(tg->g[0].salience, 1.0);
}

Test(enricher_tag, surname_only_after_the_full_name)
{
        tag("Camara est arrivé. Puis le général Sadio Camara a parlé ; "
            "Camara a conclu, et Moussa Camara aussi.");
        cr_expect_str_eq(mentions_of("Sadio Camara"), "Sadio Camara|Camara");
}

Test(enricher_tag, title_rule_is_conservative)
{
        tag("Le ministre de la Défense Jean Dupont a reçu le président Paul "
            "Durand Martin. Le ministre a annoncé Lundi la visite. Le "
            "général Sahel Nord. M. Ouédraogo est venu. Staff writer Grace "
            "King "
            "High School. Secretary-General Ban Ki-moon.");
        cr_expect_str_eq(mentions_of("Jean Dupont"), "Jean Dupont");
        cr_expect_str_eq(mentions_of("Paul Durand Martin"),
                         "Paul Durand Martin");
        cr_expect_str_eq(mentions_of("Ouédraogo"), "Ouédraogo");
        cr_expect_null(group("Lundi"));
        cr_expect_null(group("High School"));
        cr_expect_null(group("Ban Ki"));
        for (size_t k = 0; k < tg->ng; k++)
                cr_expect_eq(tg->g[k].type == ENRICHER_PER,
                             tg->g[k].entity < 0 ||
                                     gz->ent[tg->g[k].entity].type ==
                                             ENRICHER_PER);
}

Test(enricher_tag, title_then_place_then_name)
{
        tag("Il a reçu le ministre des Affaires étrangères du Mali Abdou "
            "Kassé Diallo, puis le ministre de la défense du Burkina Faso "
            "Kassoum Coulibaly et le président du Niger, Mohamed Bazoum.");
        check_offsets();
        cr_expect_str_eq(mentions_of("Abdou Kassé Diallo"), "Abdou Kassé Diallo");
        cr_expect_str_eq(mentions_of("Mali"), "Mali");
        cr_expect_str_eq(mentions_of("Burkina Faso"), "Burkina Faso");
        cr_expect_str_eq(mentions_of("Kassoum Coulibaly"), "Kassoum Coulibaly");
        cr_expect_str_eq(mentions_of("Niger"), "Niger");
        cr_expect_eq(tg->ng, 6);
}

Test(enricher_tag, name_parts_are_not_places)
{
        tag("In the film we saw yesterday with Denzel Washington there were "
            "scenes from the New York Times offices. The Berlin Wall fell long "
            "ago. He lives in Washington and sometimes in Berlin.");
        cr_expect_str_eq(mentions_of("Washington, D.C."), "Washington");
        cr_expect_str_eq(mentions_of("Berlin"), "Berlin");
        cr_expect_null(group("New York City"));
}

Test(enricher_tag, anaphor_needs_a_full_mention_first)
{
        tag("La Confédération a parlé. Puis l'AES, et la Confédération.");
        cr_expect_str_eq(mentions_of("Alliance of Sahel States"),
                         "AES|Confédération");
}

Test(enricher_tag, reuse_across_articles)
{
        tag("Sadio Camara à Bamako.");
        cr_expect_eq(tg->ng, 2);
        tag("Camara à Niamey.");
        cr_expect_eq(tg->ng, 1, "no surname left over from the last article");
        cr_expect_str_eq(mentions_of("Niamey"), "Niamey");
        tag("");
        cr_expect_eq(tg->ng, 0);
        cr_expect_eq(tg->nm, 0);
        enricher_tag_article(tg, NULL, 0, NULL, 0);
        cr_expect_eq(tg->nm, 0);
}

Test(enricher_tag, user_aliases_add_entities_without_rebuild)
{
        struct vl_err err = {0};

        tag("Le festival de Tougan avec Juvenal Marizamunda.");
        cr_expect_null(group("Tougan Festival"));
        enricher_tag_destroy(tg);
        cr_assert_eq(enricher_gazetteer_load(gz, FIXTURE("user_aliases.tsv"),
                                             &err), VL_OK, "%s", err.msg);
        tg = enricher_tag_new(gz);
        tag("Le Festival de Tougan avec Juvenal Marizamunda. Marizamunda rit. "
            "La Russie des tsars.");
        cr_expect_str_eq(mentions_of("Tougan Festival"), "Festival de Tougan");
        cr_expect_str_eq(mentions_of("Juvénal Marizamunda"),
                         "Juvenal Marizamunda|Marizamunda");
        cr_expect_str_eq(mentions_of("Russia"), "Russie des tsars");
}

/* An organisation no list knows, by its head word; its "(ACRONYM)" is the
 * same organisation for the rest of the article. */
Test(enricher_tag, organisation_by_head_word_and_acronym)
{
        const struct enricher_group *g;

        tag("Le Mouvement pour la Renaissance du Liptako (MRL) a tenu son "
            "congrès. Le MRL réclame des élections. L'Union a voté. Selon "
            "la Banque de Kaya, rien.");
        g = group("Mouvement pour la Renaissance du Liptako");
        cr_assert_not_null(g);
        cr_expect_eq(g->type, ENRICHER_ORG);
        cr_expect_eq(g->entity, -1); /* no qid */
        cr_expect_str_eq(mentions_of("Mouvement pour la Renaissance du "
                                     "Liptako"),
                         "Mouvement pour la Renaissance du Liptako|MRL|MRL");
        /* a head word with no name after it is no organisation */
        cr_expect_null(group("Union"));
        g = group("Banque de Kaya");
        cr_assert_not_null(g);
        cr_expect_eq(g->type, ENRICHER_ORG);
        check_offsets();
}
