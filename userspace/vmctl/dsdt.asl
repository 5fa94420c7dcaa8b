/*
 * SPDX-License-Identifier: GPL-2.0
 *
 * The DSDT of vmctl's Linux guests, compiled by iasl (acpica-tools) at build
 * time into $(BUILD)/gen/dsdt.h; acpi.c copies it into guest memory.
 *
 * It holds only what the fixed tables cannot say:
 *  - \_S5: the sleep type that PM1_CNT's SLP_TYP takes for soft-off. 5 is
 *    what dev_pm.c powers off on. No \_S1-\_S4: dev_pm.c cannot sleep, and
 *    an OS only tries the states the namespace offers.
 *  - COM1 as an ACPI device, so that the OS knows the port range and IRQ
 *    are taken (Linux also finds the UART without it, by probing 0x3f8).
 *
 * CPUs, the local APICs and the I/O APIC are in the MADT; the PM registers,
 * the power button, the reset register and the SCI are fixed hardware in
 * the FADT. There is no PCI host bridge, no PIC, PIT, HPET, RTC, i8042 or
 * VGA to describe. Revision 2: integers are 64 bits.
 */
DefinitionBlock ("", "DSDT", 2, "HVX   ", "HVXDSDT ", 1)
{
    /* SLP_TYPa, SLP_TYPb, reserved, reserved */
    Name (_S5, Package (0x04) { 0x05, 0x05, 0x00, 0x00 })

    Scope (\_SB)
    {
        Device (COM1)
        {
            Name (_HID, EisaId ("PNP0501"))	/* 16550A-compatible UART */
            Name (_UID, 0x01)
            Name (_CRS, ResourceTemplate ()
            {
                IO (Decode16, 0x03F8, 0x03F8, 0x01, 0x08)
                IRQNoFlags () {4}
            })
        }
    }
}
