/* features.h: the runtime-spec features document (features.md): what this
 * build supports, truthfully: only what the code implements.  */
#ifndef MK_FEATURES_H
#define MK_FEATURES_H

char *mk_features_json (void);

#endif
