/* hostile_secret.h - the secret handlers/hostile_secret keeps in its
 * snapshot and hostile_peek must never read (hostile_peek compares bytes,
 * so it carries the text too: in its own data, at another address). */
#define HOSTILE_SECRET "the-secret-7f3a9c"
