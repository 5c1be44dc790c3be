/*
 * Fuzz target: the parser's whole extraction of one page
 * (parser_article_build: sniff, charset, libxml2, metadata, extraction,
 * article JSON) on arbitrary bytes.
 *
 * Input: the first byte picks the HTTP charset label (bits 0-2: none,
 * utf-8, iso-8859-1, windows-1252, utf-16le, utf-16be, shift_jis, a bogus
 * one) and whether non-articles are refused (bit 3, parser.non.articles);
 * the rest is the page body. The page must never crash, hang or leak; an
 * article, when there is one, must have valid UTF-8 text.
 *
 * With libFuzzer (clang -fsanitize=fuzzer,address -DVL_LIBFUZZER) this file
 * is the target; otherwise the main() of replay_main.h replays the files and folders
 * given as arguments (the seed corpus, in the test suite, under the
 * sanitizer build).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "parser.h"
#include "veille/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const labels[8] = {
        NULL, "utf-8", "iso-8859-1", "windows-1252",
        "utf-16le", "utf-16be", "shift_jis", "x-no-such-charset",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct parser_page pg;
        struct parser_opts o;
        struct parser_result res;
        struct vl_err err;
        unsigned char *body;

        vl_log_level = VL_LOG_ERR;
        if (size == 0)
                return 0;
        body = malloc(size); /* size - 1 bytes and the NUL */
        if (!body)
                abort();
        memcpy(body, data + 1, size - 1);
        body[size - 1] = 0;
        memset(&pg, 0, sizeof(pg));
        memset(&o, 0, sizeof(o));
        memset(&res, 0, sizeof(res));
        memset(&err, 0, sizeof(err));
        pg.url = "http://example.test/2024/03/12/fuzz.html";
        pg.http_charset = labels[data[0] & 7];
        pg.body = body;
        pg.body_len = size - 1;
        o.min_words = 1;
        o.lang_detect = true;
        o.non_articles = (data[0] & 8) != 0;
        o.now_ms = 1710000000000LL; /* fixed, so that runs repeat */
        if (parser_article_build(&pg, &o, &res, &err) == VL_OK) {
                const char *t = json_string_value(
                        json_object_get(res.article, "text"));
                size_t bad = 0;

                if (!t || !res.id[0])
                        abort();
                vl_utf8_scan(t, strlen(t), NULL, &bad);
                if (bad)
                        abort();
        } else if (!err.msg[0]) {
                abort(); /* every refusal says why (the DLQ reason) */
        }
        parser_result_release(&res);
        free(body);
        return 0;
}

#include "replay_main.h"
