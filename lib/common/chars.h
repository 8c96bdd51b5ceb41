/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef ESPGATE_CHARS_H
#define ESPGATE_CHARS_H

/*
 * Character classes for text from configuration files and the wire, in
 * the C locale whatever the process's locale is (<ctype.h> follows
 * setlocale, and a name valid in one locale must not be invalid in
 * another).
 */

#include <stdbool.h>

/* The value of a hexadecimal digit, or -1. */
static inline int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A character of a name (port, SA, connection, JSON member printed
 * without quotes): A-Z a-z 0-9 _ - */
static inline bool is_name_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-';
}

#endif
