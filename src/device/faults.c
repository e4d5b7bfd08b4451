/* Stuck-at faults: a device that cannot be programmed and sits at g_max (stuck on) or 0 (stuck off). */
#include "nvmsim/device.h"

nvm_fault nvm_device_fault(const nvm_chip *chip, uint64_t device, double rate, double stuck_on)
{
    if (!(rate > 0))
        return NVM_FAULT_NONE;
    /* One u per device whatever the rate: raising the rate only adds devices to the faulty set. */
    nvm_stream u = nvm_chip_stream(chip, NVM_RNG_FAULT, chip->chip);
    if (nvm_uniform(&u, device) >= rate)
        return NVM_FAULT_NONE;
    nvm_stream v = nvm_chip_stream(chip, NVM_RNG_STUCK, chip->chip);
    return nvm_uniform(&v, device) < stuck_on ? NVM_FAULT_ON : NVM_FAULT_OFF;
}
