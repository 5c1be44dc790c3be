/* The enricher's SimHash fingerprint. */
#include <criterion/criterion.h>
#include <string.h>
#include "enricher/enricher.h"

static const char base[] =
        "Des militaires russes, dont des instructeurs, sont arrivés cette "
        "semaine au Burkina Faso, dans le cadre du renforcement de la "
        "coopération militaire et stratégique entre les deux armées. Des "
        "militaires russes sont arrivés à Ouagadougou au cours de la "
        "semaine, avec pour mission principale d'améliorer la formation des "
        "forces armées burkinabè dans la lutte contre le terrorisme. "
        "L'information a été confirmée par des sources sécuritaires à "
        "l'Agence d'Information du Burkina. Selon les mêmes sources, cette "
        "arrivée s'inscrit dans le "
        "cadre des relations privilégiées entre les deux pays et vise à "
        "consolider la coopération militaire et stratégique.";

static uint64_t fp(const char *s)
{
        return enricher_fingerprint_text(s, strlen(s));
}

Test(enricher_fingerprint, identical_texts_are_equal)
{
        cr_expect_eq(fp(base), fp(base));
        cr_expect_neq(fp(base), 0);
}

Test(enricher_fingerprint, ignores_case_accents_and_punctuation)
{
        cr_expect_eq(fp("Le Burkina Faso, la Russie : coopération !"),
                     fp("le burkina faso la russie cooperation"));
        cr_expect_eq(fp("l’AES"), fp("l'AES"));
}

Test(enricher_fingerprint, near_identical_texts_are_close)
{
        char edited[sizeof(base) + 64];
        int d;

        /* one word changed and a sentence end trimmed */
        snprintf(edited, sizeof(edited), "%s", base);
        memcpy(strstr(edited, "semaine"), "dizaine", strlen("dizaine"));
        edited[strlen(edited) - 30] = '\0';
        d = enricher_fingerprint_distance(fp(base), fp(edited));
        cr_expect_leq(d, 12, "distance %d", d);
        cr_expect_gt(d, 0);
}

Test(enricher_fingerprint, different_texts_are_far)
{
        const char other[] =
                "Le Premier ministre a présenté le budget de l'État pour "
                "l'année prochaine devant l'Assemblée nationale, qui doit "
                "l'examiner en commission avant un vote prévu le mois "
                "prochain. Les députés de l'opposition ont critiqué la "
                "hausse des dépenses de fonctionnement et demandé un audit "
                "des comptes publics.";
        int d = enricher_fingerprint_distance(fp(base), fp(other));

        cr_expect_geq(d, 20, "distance %d", d);
}

Test(enricher_fingerprint, short_and_empty_texts)
{
        cr_expect_eq(fp(""), 0);
        cr_expect_eq(fp(" … "), 0);
        cr_expect_neq(fp("Mali"), 0);
        cr_expect_neq(fp("Mali Niger"), fp("Niger Mali"));
        cr_expect_eq(enricher_fingerprint_distance(0, ~0ULL), 64);
}
