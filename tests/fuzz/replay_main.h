/*
 * The replay main() of every fuzz target (tests/fuzz/fuzz_*.c): without
 * libFuzzer (-DVL_LIBFUZZER), a target replays the files and folders given
 * as arguments (its seed corpus, in the test suite, under the sanitizer
 * build). Included once, at the end of the target's .c file.
 */
#ifndef VL_LIBFUZZER
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static int fuzz_replay(const char *path, int *count)
{
        struct stat st;
        int rc = 0;

        if (stat(path, &st) != 0) {
                perror(path);
                return 1;
        }
        if (S_ISDIR(st.st_mode)) {
                DIR *d = opendir(path);
                struct dirent *de;

                if (!d) {
                        perror(path);
                        return 1;
                }
                while ((de = readdir(d))) {
                        char sub[4096];

                        if (de->d_name[0] == '.')
                                continue;
                        snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
                        rc |= fuzz_replay(sub, count);
                }
                closedir(d);
                return rc;
        } else {
                FILE *f = fopen(path, "rb");
                uint8_t *buf;
                size_t len;

                if (!f) {
                        perror(path);
                        return 1;
                }
                buf = malloc((size_t)st.st_size + 1);
                if (!buf)
                        abort();
                len = fread(buf, 1, (size_t)st.st_size, f);
                fclose(f);
                LLVMFuzzerTestOneInput(buf, len);
                free(buf);
                (*count)++;
                return 0;
        }
}

int main(int argc, char **argv)
{
        int rc = 0, count = 0;

        if (argc < 2) {
                fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
                return 2;
        }
        for (int i = 1; i < argc; i++)
                rc |= fuzz_replay(argv[i], &count);
        if (count == 0) {
                fprintf(stderr, "%s: no input replayed\n", argv[0]);
                return 1;
        }
        printf("%d inputs replayed\n", count);
        return rc;
}
#endif
