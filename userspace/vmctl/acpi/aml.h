/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An AML writer (ACPI 6.3 chapter 20, "ACPI Machine Language
 * Specification"): the DSDT is built at run time from what each device of
 * the machine says about itself, as QEMU's aml-build and bhyve's
 * pe_write_dsdt do, instead of one static ASL file that must list every
 * device vmctl might create.
 *
 * Scopes, devices, packages, buffers and methods nest: aml_*_begin() opens
 * one, aml_end() closes the innermost and writes its PkgLength, which is
 * only known then. Errors (too deep, out of memory, a bad name) stick: the
 * first one is reported by aml_finish(), so callers need not check each
 * call.
 *
 * Names are ASL-style strings: "\\_SB.PCI0", "COM1", "_CRS"; segments
 * shorter than four characters are padded with '_' as ASL does.
 */
#ifndef VMCTL_AML_H
#define VMCTL_AML_H

#include <stddef.h>
#include <stdint.h>

#define AML_MAX_DEPTH	8

struct aml_buf {
	uint8_t *p;
	size_t len, cap;
	uint8_t op[2];		/* the opening opcode (1 or 2 bytes) */
	unsigned int oplen;
	size_t count_at;	/* packages: where the element count goes */
	unsigned int count;	/* elements so far */
	int kind;
};

struct aml {
	struct aml_buf stack[AML_MAX_DEPTH + 1];	/* [0]: the table body */
	unsigned int depth;
	const char *error;
};

void aml_init(struct aml *a);
void aml_free(struct aml *a);
/*
 * The finished body (everything after the table header): 0 with *@body
 * and *@len (owned by @a), or -1 with a message if anything went wrong.
 */
int aml_finish(struct aml *a, const uint8_t **body, size_t *len);

/* Scope (@name) { ... } */
void aml_scope_begin(struct aml *a, const char *name);
/* Device (@name) { ... } */
void aml_device_begin(struct aml *a, const char *name);
/* Method (@name, @nargs, NotSerialized) { ... } */
void aml_method_begin(struct aml *a, const char *name, unsigned int nargs);
/* Name (@name, Package () { ... }): elements with aml_int(), nested packages. */
void aml_name_package_begin(struct aml *a, const char *name);
/* Package () { ... } as an element of the enclosing package. */
void aml_package_begin(struct aml *a);
/* Name (@name, ResourceTemplate () { ... }): aml_res_*() inside. */
void aml_name_resources_begin(struct aml *a, const char *name);
void aml_end(struct aml *a);

/* Name (@name, @value) */
void aml_name_int(struct aml *a, const char *name, uint64_t value);
/* Name (@name, EisaId ("PNP0A08")) */
void aml_name_eisaid(struct aml *a, const char *name, const char *id);
/* Name (@name, "@s") */
void aml_name_string(struct aml *a, const char *name, const char *s);
/* An integer element of a package, or the operand of Return. */
void aml_int(struct aml *a, uint64_t value);
/* Return (@value), inside a method. */
void aml_return_int(struct aml *a, uint64_t value);

/* Resource descriptors (ACPI 6.3 6.4), inside aml_name_resources_begin(). */
/* IO (Decode16, @base, @base, 1, @len) */
void aml_res_io(struct aml *a, uint16_t base, uint8_t len);
/* IRQNoFlags () { @irq } (ISA, edge, active high) */
void aml_res_irq(struct aml *a, unsigned int irq);
/* WordBusNumber (ResourceProducer, ..., @min, @max, ...) */
void aml_res_bus_numbers(struct aml *a, uint16_t min, uint16_t max);
/* WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange, ...) */
void aml_res_io_window(struct aml *a, uint16_t min, uint16_t max);
/* DWordMemory (ResourceProducer, ..., NonCacheable, ReadWrite, ...) */
void aml_res_mem_window(struct aml *a, uint32_t min, uint32_t max);
/* Memory32Fixed (ReadWrite, @base, @len) */
void aml_res_mem_fixed(struct aml *a, uint32_t base, uint32_t len);

#endif /* VMCTL_AML_H */
