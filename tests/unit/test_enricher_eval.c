/* The evaluation scorer and the gold-corpus readers (bench/enricher). */
#include <criterion/criterion.h>
#include <string.h>
#include "enricher/enricher.h"
#include "enricher/enricher_eval.h"

static struct enricher_span sp(uint32_t s, uint32_t e, int type,
                               const char *qid)
{
        struct enricher_span x;

        memset(&x, 0, sizeof(x));
        x.start = s;
        x.end = e;
        x.type = type;
        if (qid)
                strcpy(x.qid, qid);
        return x;
}

Test(enricher_eval, exact_span_and_type)
{
        struct enricher_eval ev;
        /* gold: PER [0,5) LOC [10,16) ORG [20,23); predictions out of order:
         * the LOC right, the PER one character short, the ORG typed LOC,
         * and one spurious span */
        struct enricher_span gold[] = {sp(20, 23, ENRICHER_ORG, NULL),
                                       sp(0, 5, ENRICHER_PER, NULL),
                                       sp(10, 16, ENRICHER_LOC, NULL)};
        struct enricher_span pred[] = {sp(30, 33, ENRICHER_PER, NULL),
                                       sp(10, 16, ENRICHER_LOC, NULL),
                                       sp(0, 4, ENRICHER_PER, NULL),
                                       sp(20, 23, ENRICHER_LOC, NULL)};
        struct enricher_prf all, per, loc, org;

        enricher_eval_init(&ev);
        enricher_eval_doc(&ev, "fr", gold, 3, pred, 4, NULL, NULL);
        all = enricher_eval_sum(&ev, -1, -1);
        cr_expect_eq(all.tp, 1);
        cr_expect_eq(all.fp, 3);
        cr_expect_eq(all.fn, 2);
        per = enricher_eval_sum(&ev, -1, ENRICHER_PER);
        cr_expect(per.tp == 0 && per.fp == 2 && per.fn == 1);
        loc = enricher_eval_sum(&ev, -1, ENRICHER_LOC);
        cr_expect(loc.tp == 1 && loc.fp == 1 && loc.fn == 0);
        org = enricher_eval_sum(&ev, -1, ENRICHER_ORG);
        cr_expect(org.tp == 0 && org.fp == 0 && org.fn == 1);
        cr_expect_float_eq(enricher_prf_precision(all), 0.25, 1e-9);
        cr_expect_float_eq(enricher_prf_recall(all), 1.0 / 3, 1e-9);
        cr_expect_float_eq(enricher_prf_f1(all), 2 * 0.25 / 3 / (0.25 + 1.0 / 3),
                           1e-9);
}

Test(enricher_eval, empty_sides)
{
        struct enricher_eval ev;
        struct enricher_span g[] = {sp(0, 3, ENRICHER_LOC, NULL)};
        struct enricher_prf c;

        enricher_eval_init(&ev);
        enricher_eval_doc(&ev, "en", g, 1, NULL, 0, NULL, NULL);
        enricher_eval_doc(&ev, "en", NULL, 0, NULL, 0, NULL, NULL);
        c = enricher_eval_sum(&ev, -1, -1);
        cr_expect(c.tp == 0 && c.fp == 0 && c.fn == 1);
        cr_expect_float_eq(enricher_prf_precision(c), 0.0, 1e-12);
        cr_expect_float_eq(enricher_prf_f1(c), 0.0, 1e-12);
        cr_expect_eq(ev.docs, 2);
}

Test(enricher_eval, per_language)
{
        struct enricher_eval ev;
        struct enricher_span g1[] = {sp(0, 3, ENRICHER_LOC, NULL)};
        struct enricher_span p1[] = {sp(0, 3, ENRICHER_LOC, NULL)};
        struct enricher_span g2[] = {sp(0, 3, ENRICHER_LOC, NULL)};

        enricher_eval_init(&ev);
        enricher_eval_doc(&ev, "fr", g1, 1, p1, 1, NULL, NULL);
        enricher_eval_doc(&ev, "en", g2, 1, NULL, 0, NULL, NULL);
        cr_assert_eq(ev.nlang, 2);
        cr_expect_str_eq(ev.lang[0], "fr");
        cr_expect_eq(enricher_eval_sum(&ev, 0, -1).tp, 1);
        cr_expect_eq(enricher_eval_sum(&ev, 1, -1).fn, 1);
        cr_expect_eq(enricher_eval_sum(&ev, 1, -1).tp, 0);
}

struct errs {
        int fp, fn, link;
        char bad[16];
};

static void count_err(void *ctx, enum enricher_eval_err k,
                      const struct enricher_span *s, const char *gold_qid)
{
        struct errs *e = ctx;

        (void)s;
        if (k == ENRICHER_EVAL_FP)
                e->fp++;
        else if (k == ENRICHER_EVAL_FN)
                e->fn++;
        else {
                e->link++;
                strcpy(e->bad, gold_qid);
        }
}

Test(enricher_eval, linking)
{
        struct enricher_eval ev;
        struct errs e = {0};
        /* right id; wrong id; id where gold has none; id off any gold
         * span; a span right without id (not counted as linked); the link
         * is judged on the span whatever the type */
        struct enricher_span gold[] = {sp(0, 5, ENRICHER_LOC, "Q965"),
                                       sp(10, 15, ENRICHER_LOC, "Q159"),
                                       sp(20, 25, ENRICHER_ORG, NULL),
                                       sp(40, 45, ENRICHER_PER, "Q1"),
                                       sp(50, 55, ENRICHER_ORG, "Q7159")};
        struct enricher_span pred[] = {sp(0, 5, ENRICHER_LOC, "Q965"),
                                       sp(10, 15, ENRICHER_LOC, "Q649"),
                                       sp(20, 25, ENRICHER_ORG, "Q7"),
                                       sp(30, 35, ENRICHER_LOC, "Q8"),
                                       sp(40, 45, ENRICHER_PER, NULL),
                                       sp(50, 55, ENRICHER_LOC, "Q7159")};

        enricher_eval_init(&ev);
        enricher_eval_doc(&ev, "fr", gold, 5, pred, 6, count_err, &e);
        cr_expect_eq(ev.link_judged, 3);
        cr_expect_eq(ev.link_ok, 2);
        cr_expect_eq(ev.link_nogold, 1);
        cr_expect_eq(ev.link_nospan, 1);
        cr_expect_eq(ev.gold_qid, 4);
        cr_expect_eq(e.link, 1);
        cr_expect_str_eq(e.bad, "Q159");
        cr_expect_eq(e.fp, 2); /* [30,35) and the ORG typed LOC */
        cr_expect_eq(e.fn, 1);
}

struct docs {
        int n;
        char text[4][256];
        struct enricher_span gold[4][8];
        size_t ng[4];
        char name[4][64], lang[4][8];
};

static void keep_doc(void *ctx, struct enricher_eval_docu *d)
{
        struct docs *ds = ctx;

        cr_assert_lt(ds->n, 4);
        cr_assert_lt(d->len, sizeof(ds->text[0]));
        memcpy(ds->text[ds->n], d->text, d->len + 1);
        cr_assert_leq(d->ng, 8);
        memcpy(ds->gold[ds->n], d->gold, d->ng * sizeof(*d->gold));
        ds->ng[ds->n] = d->ng;
        strcpy(ds->name[ds->n], d->name);
        strcpy(ds->lang[ds->n], d->lang);
        ds->n++;
}

Test(enricher_eval, conll_iob2_with_index)
{
        static const char data[] = "0\tIbrahim\tB-PER\n"
                                   "1\tTraoré\tI-PER\n"
                                   "2\tà\tO\n"
                                   "3\tMoscou\tB-LOC\n"
                                   "4\tet\tO\n"
                                   "5\tEuro\tB-MISC\n"
                                   "\n"
                                   "0\tLa\tO\n"
                                   "1\tCEDEAO\tB-ORG\n"
                                   "2\tONU\tB-ORG\n";
        struct docs ds;

        memset(&ds, 0, sizeof(ds));
        cr_assert_eq(enricher_eval_read_conll(data, sizeof(data) - 1,
                                              ENRICHER_CONLL_IOB, 400, "fr",
                                              "t", keep_doc, &ds),
                     1);
        cr_expect_str_eq(ds.text[0],
                         "Ibrahim Traoré à Moscou et Euro\nLa CEDEAO ONU");
        cr_expect_str_eq(ds.name[0], "t#0");
        cr_expect_str_eq(ds.lang[0], "fr");
        cr_assert_eq(ds.ng[0], 4); /* MISC dropped */
        /* code points, not bytes: "é" and "à" are one each */
        cr_expect(ds.gold[0][0].start == 0 && ds.gold[0][0].end == 14 &&
                  ds.gold[0][0].type == ENRICHER_PER);
        cr_expect(ds.gold[0][1].start == 17 && ds.gold[0][1].end == 23 &&
                  ds.gold[0][1].type == ENRICHER_LOC);
        /* two B- in a row are two mentions */
        cr_expect(ds.gold[0][2].start == 35 && ds.gold[0][2].end == 41 &&
                  ds.gold[0][2].type == ENRICHER_ORG);
        cr_expect(ds.gold[0][3].start == 42 && ds.gold[0][3].end == 45);
}

Test(enricher_eval, conll_iob1_and_documents)
{
        /* IOB1: I- opens a mention after O or another type, B- separates
         * two of the same type; no sentence breaks: a document ends at the
         * first O after doc_tokens tokens; -DOCSTART- ends one too */
        static const char data[] = "Paris I-LOC\n"
                                   "Londres B-LOC\n"
                                   "Jean I-PER\n"
                                   "Dupont I-PER\n"
                                   "Hugo I-LOC\n"
                                   "dit O\n"
                                   "oui O\n"
                                   "-DOCSTART- O\n"
                                   "Berlin I-LOC\n";
        struct docs ds;

        memset(&ds, 0, sizeof(ds));
        cr_assert_eq(enricher_eval_read_conll(data, sizeof(data) - 1,
                                              ENRICHER_CONLL_IOB, 3, "fr",
                                              "e", keep_doc, &ds),
                     3);
        cr_expect_str_eq(ds.text[0], "Paris Londres Jean Dupont Hugo");
        cr_assert_eq(ds.ng[0], 4);
        cr_expect(ds.gold[0][0].start == 0 && ds.gold[0][0].end == 5);
        cr_expect(ds.gold[0][1].start == 6 && ds.gold[0][1].end == 13);
        cr_expect(ds.gold[0][2].start == 14 && ds.gold[0][2].end == 25 &&
                  ds.gold[0][2].type == ENRICHER_PER);
        cr_expect(ds.gold[0][3].start == 26 && ds.gold[0][3].end == 30 &&
                  ds.gold[0][3].type == ENRICHER_LOC);
        cr_expect_str_eq(ds.text[1], "dit oui");
        cr_expect_eq(ds.ng[1], 0);
        cr_expect_str_eq(ds.text[2], "Berlin");
        cr_expect_str_eq(ds.name[2], "e#2");
}

Test(enricher_eval, conll_hipe)
{
        static const char data[] =
                "TOKEN\tNE-COARSE-LIT\tNE-COARSE-METO\tNE-FINE-LIT\t"
                "NE-FINE-METO\tNE-FINE-COMP\tNE-NESTED\tNEL-LIT\tNEL-METO\t"
                "MISC\n"
                "# hipe2022:document_id = a\n"
                "M\tB-pers\t_\t_\t_\t_\t_\tQ1\t_\tNoSpaceAfter\n"
                ".\tI-pers\t_\t_\t_\t_\t_\tQ1\t_\t_\n"
                "Blum\tI-pers\t_\t_\t_\t_\t_\tQ1\t_\t_\n"
                "à\tO\t_\t_\t_\t_\t_\t_\t_\t_\n"
                "Paris\tB-loc\t_\t_\t_\t_\t_\tQ90\t_\tNoSpaceAfter\n"
                ".\tO\t_\t_\t_\t_\t_\t_\t_\tEndOfSentence\n"
                "Le\tO\t_\t_\t_\t_\t_\t_\t_\t_\n"
                "Matin\tB-prod\t_\t_\t_\t_\t_\tNIL\t_\t_\n"
                "# hipe2022:document_id = b\n"
                "Lyon\tB-loc\t_\t_\t_\t_\t_\tNIL\t_\t_\n";
        struct docs ds;

        memset(&ds, 0, sizeof(ds));
        cr_assert_eq(enricher_eval_read_conll(data, sizeof(data) - 1,
                                              ENRICHER_CONLL_HIPE, 400, "fr",
                                              "h", keep_doc, &ds),
                     2);
        cr_expect_str_eq(ds.text[0], "M. Blum à Paris.\nLe Matin");
        cr_assert_eq(ds.ng[0], 2);
        cr_expect(ds.gold[0][0].start == 0 && ds.gold[0][0].end == 7 &&
                  ds.gold[0][0].type == ENRICHER_PER);
        cr_expect_str_eq(ds.gold[0][0].qid, "Q1");
        cr_expect(ds.gold[0][1].start == 10 && ds.gold[0][1].end == 15);
        cr_expect_str_eq(ds.gold[0][1].qid, "Q90");
        cr_expect_str_eq(ds.text[1], "Lyon");
        cr_expect_str_eq(ds.gold[1][0].qid, ""); /* NIL is no id */
}

Test(enricher_eval, type_names)
{
        cr_expect_eq(enricher_eval_type("PER", 3), ENRICHER_PER);
        cr_expect_eq(enricher_eval_type("pers", 4), ENRICHER_PER);
        cr_expect_eq(enricher_eval_type("org", 3), ENRICHER_ORG);
        cr_expect_eq(enricher_eval_type("LOC", 3), ENRICHER_LOC);
        cr_expect_eq(enricher_eval_type("MISC", 4), -1);
        cr_expect_eq(enricher_eval_type("time", 4), -1);
}
