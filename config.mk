# config.mk - build settings; override on the command line (make CC=clang)

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man

CC ?= cc
CFLAGS ?= -O2 -g
PKGS = libcurl libxml-2.0 libarchive libssh2 libcrypto

WARN = -std=c11 -Wall -Wextra -Werror -Wformat=2 -Wmissing-prototypes \
       -Wstrict-prototypes -Wold-style-definition -Wvla -Wwrite-strings \
       -Wpointer-arith -Wshadow -Wimplicit-fallthrough -fno-common
HARDEN = -D_FORTIFY_SOURCE=3 -fstack-protector-strong -fPIE
HARDEN_LD = -pie -Wl,-z,relro,-z,now

ifeq ($(SANITIZE),1)
CFLAGS = -O1 -g -fno-omit-frame-pointer
HARDEN = -fPIE
SAN = -fsanitize=address,undefined -fno-sanitize-recover=all
endif
