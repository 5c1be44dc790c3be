/* parser/score.c: the word-shingle metric of the evaluation tool, on cases
 * computed by hand. */
#include <criterion/criterion.h>
#include "parser/parser.h"

#define EPS 1e-9
#define near(a, b) cr_assert_float_eq((a), (b), EPS, "%f != %f", (a), (b))

Test(parser_score, tokens_are_unicode_words)
{
        cr_assert_eq(parser_score_tokens(NULL), 0);
        cr_assert_eq(parser_score_tokens(""), 0);
        cr_assert_eq(parser_score_tokens(" ,;-- !"), 0);
        /* Hello | world_1 | l | armée | 2024 */
        cr_assert_eq(parser_score_tokens("Hello, world_1 l\xe2\x80\x99"
                                         "arm\xc3\xa9" "e 2024."), 5);
        /* a combining accent is not a word character: e | té */
        cr_assert_eq(parser_score_tokens("e\xcc\x81t\xc3\xa9"), 2);
        /* Greek, CJK, superscript two (No) are; an invalid byte is not */
        cr_assert_eq(parser_score_tokens("\xce\xb1\xce\xb2 \xe4\xb8\xad x"
                                         "\xc2\xb2 a\xff" "b"), 5);
}

Test(parser_score, identical_texts)
{
        struct parser_score_page p;

        parser_score_page("a b c d e", "a, b. c! d\n\ne", &p);
        near(p.tp, 1.0);
        near(p.fp, 0.0);
        near(p.fn, 0.0);
        near(p.precision, 1.0);
        near(p.recall, 1.0);
        near(p.f1, 1.0);
}

Test(parser_score, one_word_differs)
{
        struct parser_score_page p;

        /* abcd bcde cdef / abcd bcde cdex: tp 2 fp 1 fn 1, over 4 */
        parser_score_page("a b c d e f", "a b c d e x", &p);
        near(p.tp, 0.5);
        near(p.fp, 0.25);
        near(p.fn, 0.25);
        near(p.precision, 2.0 / 3);
        near(p.recall, 2.0 / 3);
        near(p.f1, 2.0 / 3);
}

Test(parser_score, shingles_are_a_multiset)
{
        struct parser_score_page p;

        /* abcd bcda cdab dabc abcd / abcd: tp 1 fp 0 fn 4, over 5 */
        parser_score_page("a b c d a b c d", "a b c d", &p);
        near(p.tp, 0.2);
        near(p.fp, 0.0);
        near(p.fn, 0.8);
        near(p.precision, 1.0);
        near(p.recall, 0.2);
}

Test(parser_score, short_texts_are_one_shingle)
{
        struct parser_score_page p;

        parser_score_page("a b", "a b", &p);
        near(p.tp, 1.0);
        near(p.precision, 1.0);
        /* "a b" and "a b c" are different single shingles */
        parser_score_page("a b", "a b c", &p);
        near(p.tp, 0.0);
        near(p.fp, 0.5);
        near(p.fn, 0.5);
        near(p.precision, 0.0);
        near(p.recall, 0.0);
}

Test(parser_score, case_is_kept)
{
        struct parser_score_page p;

        parser_score_page("A b c d", "a b c d", &p);
        near(p.tp, 0.0);
        near(p.f1, 0.0);
}

Test(parser_score, empty_prediction)
{
        struct parser_score_page p;

        parser_score_page("a b c d", "", &p);
        near(p.tp, 0.0);
        near(p.fn, 1.0);
        near(p.precision, 0.0);
        near(p.recall, 0.0);
        parser_score_page("", NULL, &p);
        near(p.tp + p.fp + p.fn, 0.0);
}

Test(parser_score, set_means)
{
        struct parser_score s = { 0 };
        struct parser_score_page p;
        double prec, rec, f1, P, R;

        parser_score_page("a b c d e f", "a b c d e x", &p); /* 2/3, 2/3 */
        parser_score_add(&s, &p);
        parser_score_page("a b c d", "", &p); /* recall 0 only */
        parser_score_add(&s, &p);
        parser_score_page("a b c d a b c d", "a b c d", &p); /* 1, 0.2 */
        parser_score_add(&s, &p);
        parser_score_page("", "", &p); /* counts in neither mean */
        parser_score_add(&s, &p);
        parser_score_result(&s, &prec, &rec, &f1);
        P = (2.0 / 3 + 1.0) / 2;
        R = (2.0 / 3 + 0.0 + 0.2) / 3;
        cr_assert_eq(s.pages, 4);
        near(prec, P);
        near(rec, R);
        near(f1, 2 * P * R / (P + R));
}
