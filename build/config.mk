PKG_CFLAGS := -I/usr/include/p11-kit-1 
PKG_LIBS := -lmicrohttpd -ljansson -lcrypto 
