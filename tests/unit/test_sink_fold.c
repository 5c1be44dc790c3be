/* sink_fold: the form watch terms and entity names are compared in. */
#include <stdlib.h>
#include <string.h>
#include <criterion/criterion.h>
#include "sink/sink.h"

static void check_fold(const char *in, const char *want)
{
        char *got = sink_fold(in, strlen(in));

        cr_assert_not_null(got, "fold('%s') failed", in);
        cr_expect_str_eq(got, want, "fold('%s')", in);
        free(got);
}

Test(sink_fold, case_and_accents)
{
        check_fold("RUSSIE", "russie");
        check_fold("Russie", "russie");
        check_fold("Burkina Faso", "burkina faso");
        check_fold("Côte d’Ivoire", "cote d'ivoire");
        check_fold("SERGUEÏ CHOÏGOU", "serguei choigou");
        check_fold("Straße", "strasse");
}

Test(sink_fold, decomposed_input_folds_like_composed)
{
        check_fold("Co\xcc\x82te", "cote"); /* o + U+0302 */
}

Test(sink_fold, whitespace_collapsed_and_trimmed)
{
        check_fold("  Burkina \t Faso\n", "burkina faso");
        check_fold("Burkina\xc2\xa0" "Faso", "burkina faso"); /* no-break */
        check_fold("", "");
        check_fold("   ", "");
}

Test(sink_fold, compatibility_and_ignorables)
{
        check_fold("\xef\xac\x81nance", "finance");   /* U+FB01 fi ligature */
        check_fold("Wag\xc2\xadner", "wagner");        /* soft hyphen */
        check_fold("Al\xe2\x80\x90Shabaab", "al-shabaab"); /* U+2010 */
}

Test(sink_fold, different_names_stay_different)
{
        char *a = sink_fold("Russie", 6), *b = sink_fold("Russia", 6);

        cr_assert_str_neq(a, b);
        free(a);
        free(b);
}

Test(sink_fold, invalid_utf8_is_null)
{
        cr_expect_null(sink_fold("abc\xff", 4));
        cr_expect_null(sink_fold("\xc3", 1));
}
