/* Compiles a committed .plmd weights file into libparley with the
 * assembler's .incbin: no generated C arrays in the repository, no model
 * file needed at run time. Defines `const unsigned char NAME[]` (32-byte
 * aligned, as pl_model_load_static wants) and `const size_t NAME_len`.
 * PL_MODEL_DIR is the absolute ai/models path, set by CMakeLists.txt, which
 * also makes these objects depend on the .plmd files. The symbols are
 * .hidden: libparley exports only the public API (-fvisibility=hidden does
 * not reach symbols the assembler defines). */
#ifndef PL_AI_MODELS_INCBIN_H
#define PL_AI_MODELS_INCBIN_H

#include <stddef.h>

#define PL_INCBIN(name, file)                                                  \
  __asm__(".section .rodata\n"                                                 \
          ".balign 32\n"                                                       \
          ".global " #name "\n"                                                \
          ".hidden " #name "\n"                                                \
          ".type " #name ", @object\n" #name ":\n"                             \
          ".incbin \"" PL_MODEL_DIR "/" file "\"\n" #name "_end:\n"            \
          ".balign 8\n"                                                        \
          ".global " #name "_len\n"                                            \
          ".hidden " #name "_len\n"                                            \
          ".type " #name "_len, @object\n" #name "_len:\n"                     \
          ".quad " #name "_end - " #name "\n"                                  \
          ".previous\n");                                                      \
  extern const unsigned char name[];                                           \
  extern const size_t name##_len

#endif
